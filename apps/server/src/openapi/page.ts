/**
 * `/api/docs`: a page for people, rendered in the browser from /api/openapi.json by a small script
 * of our own served from our origin (the app's CSP allows no inline script and no other origin).
 * All text goes in through textContent: nothing of the document is parsed as HTML.
 */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OIDC Connections API</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 70rem; padding: 1rem 1.5rem 4rem; color: #1f2328; }
h1 { margin-bottom: .25rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #d0d7de; }
details { border: 1px solid #d0d7de; border-radius: 6px; margin: .5rem 0; }
summary { cursor: pointer; padding: .5rem .75rem; display: flex; gap: .75rem; align-items: baseline; }
.method { font: 600 12px ui-monospace, monospace; text-transform: uppercase; min-width: 4rem; }
.get { color: #0969da; } .post { color: #1a7f37; } .patch { color: #9a6700; } .delete { color: #cf222e; }
code, pre { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: #f6f8fa; padding: .75rem; overflow: auto; border-radius: 6px; }
.body { padding: 0 .75rem .75rem; } .muted { color: #59636e; }
</style>
</head>
<body>
<h1>OIDC Connections API</h1>
<p class="muted">The machine-readable document: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).
The connections-as-code file schema: <a href="/api/connections-file.schema.json">/api/connections-file.schema.json</a>.</p>
<main id="docs"><p>Loading…</p></main>
<script src="/api/docs.js"></script>
</body>
</html>
`;

export const DOCS_JS = `"use strict";
(async function () {
  var root = document.getElementById("docs");
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function pretty(value) {
    var pre = el("pre", JSON.stringify(value, null, 2));
    pre.tabIndex = 0; // scrollable: reachable by keyboard
    return pre;
  }
  var doc;
  try {
    var res = await fetch("/api/openapi.json", { headers: { accept: "application/json" } });
    doc = await res.json();
  } catch (e) {
    root.replaceChildren(el("p", "Could not load /api/openapi.json: " + e));
    return;
  }
  root.replaceChildren();
  root.appendChild(el("p", doc.info.description));
  var schemes = doc.components.securitySchemes;
  root.appendChild(el("h2", "Authentication"));
  Object.keys(schemes).forEach(function (name) {
    var p = el("p");
    p.appendChild(el("code", name));
    p.appendChild(document.createTextNode(": " + (schemes[name].description || schemes[name].scheme || "")));
    root.appendChild(p);
  });
  var byTag = {};
  Object.keys(doc.paths).forEach(function (path) {
    Object.keys(doc.paths[path]).forEach(function (method) {
      var op = doc.paths[path][method];
      var tag = (op.tags && op.tags[0]) || "Other";
      (byTag[tag] = byTag[tag] || []).push({ path: path, method: method, op: op });
    });
  });
  (doc.tags || []).map(function (t) { return t.name; }).forEach(function (tag) {
    if (!byTag[tag]) return;
    root.appendChild(el("h2", tag));
    byTag[tag].forEach(function (entry) {
      var op = entry.op;
      var d = el("details");
      d.id = op.operationId;
      var s = el("summary");
      s.appendChild(el("span", entry.method, "method " + entry.method));
      s.appendChild(el("code", entry.path));
      s.appendChild(el("span", op.summary, "muted"));
      d.appendChild(s);
      var body = el("div", undefined, "body");
      if (op.description) body.appendChild(el("p", op.description));
      if (op.security && op.security.length)
        body.appendChild(el("p", "Auth: " + op.security.map(function (x) { return Object.keys(x)[0]; }).join(" or ")));
      if (op.parameters) {
        body.appendChild(el("h4", "Parameters"));
        var ul = el("ul");
        op.parameters.forEach(function (p) {
          ul.appendChild(el("li", p.name + " (" + p.in + (p.required ? ", required" : "") + ")" + (p.description ? ": " + p.description : "")));
        });
        body.appendChild(ul);
      }
      if (op.requestBody) {
        body.appendChild(el("h4", "Request body (" + Object.keys(op.requestBody.content).join(", ") + ")"));
        var first = op.requestBody.content[Object.keys(op.requestBody.content)[0]];
        body.appendChild(pretty(resolve(first.schema)));
      }
      body.appendChild(el("h4", "Responses"));
      Object.keys(op.responses).forEach(function (status) {
        var r = op.responses[status];
        body.appendChild(el("p", status + ": " + r.description));
        var content = r.content && r.content["application/json"];
        if (content && status < 400) body.appendChild(pretty(resolve(content.schema)));
      });
      d.appendChild(body);
      root.appendChild(d);
    });
  });
  function resolve(schema) {
    if (schema && schema.$ref) {
      var name = schema.$ref.split("/").pop();
      return Object.assign({ title: name }, doc.components.schemas[name]);
    }
    return schema;
  }
})();
`;
