-- Neovim 0.7+ as a real LSP client of `vpclint lsp`: open a request file, wait for the
-- published diagnostics, write them to $VPCLINT_OUT (one per line); then ask for completion
-- of the `balance_strategy` value, turn `deprecated-type` off in a new vpclint.toml, tell the
-- server the watched file changed, and record whether the warning went away.
local bin, file, out = os.getenv("VPCLINT_BIN"), os.getenv("VPCLINT_FILE"), os.getenv("VPCLINT_OUT")
-- Any Lua error is written to $VPCLINT_OUT and Neovim quits: a failing script must fail the
-- test, never leave a headless editor waiting forever.
local function main()
  local client = vim.lsp.start_client({ name = "vpclint", cmd = { bin, "lsp" }, root_dir = vim.fn.fnamemodify(file, ":h") })
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buf, client)
  local got = vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
  local lines = { "filetype=" .. vim.bo[buf].filetype, "received=" .. tostring(got) }
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or ""
    local msg = d.message:gsub("\n.*", "")
    table.insert(lines, string.format("%d:%d severity=%d source=%s code=%s %s", d.lnum + 1, d.col + 1, d.severity, d.source or "", code, msg))
  end
  -- Completion at the value of "balance_strategy" (line 4, after `"balance_strategy": `).
  local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = 3, character = 22 } }
  local resp = vim.lsp.buf_request_sync(buf, "textDocument/completion", params, 5000) or {}
  for _, r in pairs(resp) do
    for _, item in ipairs(r.result or {}) do
      table.insert(lines, string.format("completion %s %s", item.label, item.detail or ""))
    end
  end
  -- A config change, as a file watcher reports it.
  local dir = vim.fn.fnamemodify(file, ":h")
  vim.fn.writefile({ "[rules]", 'deprecated-type = "off"' }, dir .. "/vpclint.toml")
  vim.lsp.get_client_by_id(client).notify("workspace/didChangeWatchedFiles", { changes = { { uri = vim.uri_from_fname(dir .. "/vpclint.toml"), type = 1 } } })
  local gone = vim.wait(15000, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or ""
      if code == "deprecated-type" then return false end
    end
    return #vim.diagnostic.get(buf) > 0
  end, 50)
  table.insert(lines, "config-applied=" .. tostring(gone))
  vim.fn.writefile(lines, out)
  vim.lsp.stop_client(client)
end
local ok, err = pcall(main)
if not ok then vim.fn.writefile({ "lua-error=" .. tostring(err) }, out) end
vim.cmd("qa!")
