// What the staff pages share: the support console (/agent, agent.js) and analytics
// (/analytics, analytics.js) both sign in with a secret kept in sessionStorage and send it as
// "Authorization: Bearer <secret>". Loaded by a <script> tag before each page's own script;
// plain JS, no build step, exposed as window.Staff.
(function () {
  "use strict";

  // A reader/writer of one sessionStorage entry (this tab only): f() reads it, f(value) keeps
  // it, f(null) forgets it.
  function storage(key) {
    return function (value) {
      try {
        if (value === undefined) return window.sessionStorage.getItem(key);
        if (value) window.sessionStorage.setItem(key, value);
        else window.sessionStorage.removeItem(key);
      } catch (err) { /* storage disabled: the secret lasts as long as the page */ }
      return null;
    };
  }

  // The answer's JSON, or throws {status, message}: status 0 when the server can't be reached.
  // Errors come as {"detail": "message"}, or a list of validation errors (422).
  async function request(path, token, options) {
    const method = (options && options.method) || "GET";
    const body = options ? options.body : undefined;
    const headers = { Authorization: "Bearer " + token };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    let data = null;
    try {
      res = await fetch(path, { method: method, headers: headers, cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw { status: 0, message: "Can't reach the server. Is the web app still running?" };
    }
    try {
      data = await res.json();
    } catch (err) { /* not JSON: the status says enough */ }
    if (res.ok) return data;
    let detail = data && data.detail;
    if (Array.isArray(detail)) detail = detail.map((d) => (d && d.msg) || String(d)).join("; ");
    throw { status: res.status, message: typeof detail === "string" && detail ? detail : "HTTP " + res.status };
  }

  window.Staff = { storage: storage, request: request };
})();
