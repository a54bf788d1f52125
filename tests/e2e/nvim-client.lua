-- Neovim 0.7+ as a real LSP client of `vpclint lsp`: open a request file, wait for the
-- published diagnostics, write them to $VPCLINT_OUT (one per line), quit.
local bin, file, out = os.getenv("VPCLINT_BIN"), os.getenv("VPCLINT_FILE"), os.getenv("VPCLINT_OUT")
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
vim.fn.writefile(lines, out)
vim.lsp.stop_client(client)
vim.cmd("qa!")
