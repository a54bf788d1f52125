//! Request-level rules of `.http`/`.rest` files: declared here with the other rules (the
//! registry never imports the request-file reader); checked by the request-file reader (`lint::http`).

use crate::diagnostic::Fixable;
use crate::diagnostic::Severity;
use crate::rules::Rule;

pub static UNKNOWN_OPERATION: Rule = Rule {
    name: "unknown-operation",
    default_severity: Severity::Error,
    group: "http",
    summary: "A request file's path is none of the VPC channel API's",
    what: "In a `.http`/`.rest` file, reports a request whose path looks like the VPC channel API's (`…/vpc-channels…`) but matches none of its operations, with the closest path. Requests to other APIs are passed over.",
    why: "The request would reach no VPC channel operation (404), and its body is not linted because vpclint cannot tell which body it is.",
    bad: "POST https://{{host}}/v2/{{project_id}}/apic/instances/{{instance_id}}/vpc-channels/{{channel_id}}/member-group",
    good: "POST https://{{host}}/v2/{{project_id}}/apic/instances/{{instance_id}}/vpc-channels/{{channel_id}}/member-groups",
    source: "OPERATIONS.md: the family's methods and paths.",    example_operation: None,
    fix: Fixable::No,
};

pub static METHOD_MISMATCH: Rule = Rule {
    name: "method-mismatch",
    default_severity: Severity::Error,
    group: "http",
    summary: "A request's method does not fit its path",
    what: "In a `.http`/`.rest` file, reports a POST, PUT or PATCH request to a path of the family that takes another method for its body (`PUT …/vpc-channels/syncs`). Reading and deleting requests (GET, DELETE, HEAD) carry no body and are passed over.",
    why: "The API answers 404 or 405; the body was written for another operation.",
    bad: "PUT https://{{host}}/v2/{{project_id}}/apic/vpc-channels/syncs",
    good: "POST https://{{host}}/v2/{{project_id}}/apic/vpc-channels/syncs",
    source: "OPERATIONS.md: the family's methods and paths.",    example_operation: None,
    fix: Fixable::No,
};

pub static WRONG_CONTENT_TYPE: Rule = Rule {
    name: "wrong-content-type",
    default_severity: Severity::Error,
    group: "http",
    summary: "A request's Content-Type is not application/json",
    what: "In a `.http`/`.rest` file, reports a `Content-Type` header other than `application/json` (parameters such as `; charset=utf-8` are fine) on a request of the family.",
    why: "The API reads the body as JSON only; another content type is rejected before the body is looked at.",
    bad: "Content-Type: text/plain",
    good: "Content-Type: application/json",
    source: "API reference: request bodies are JSON (Content-Type: application/json).",    example_operation: None,
    fix: Fixable::No,
};

pub static MISSING_BODY: Rule = Rule {
    name: "missing-body",
    default_severity: Severity::Error,
    group: "http",
    summary: "A request of the family has no body",
    what: "In a `.http`/`.rest` file, reports a request whose operation takes a body (every operation of the family does) but that has none after its headers.",
    why: "The API answers `APIG.2011 The request parameters must be specified`.",
    bad: "POST https://{{host}}/v2/{{project_id}}/apic/vpc-channels\nContent-Type: application/json\n",
    good: "POST https://{{host}}/v2/{{project_id}}/apic/vpc-channels\nContent-Type: application/json\n\n{ \"name\": \"web\", … }",
    source: "OPERATIONS.md: the body each operation takes.",    example_operation: None,
    fix: Fixable::No,
};
