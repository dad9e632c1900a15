// mock-halo console: sends the control plane's requests and refreshes the live parts of a page.
// Hand-written, no dependencies. Markup it understands (drawn by mock_halo/console/pages.py):
//   <form data-api="METHOD /path">    submit: the form's fields as a JSON object (a [data-json]
//                                      textarea: its text is the body)
//   <button data-api="METHOD /path">  click: the request, with data-body as its JSON body if any
//   <select data-api="METHOD /path">  change: {name: value}
//   data-confirm="question"           asks first; data-done="text" says so after
//   <section data-live="URL">         its content is replaced by GET URL every data-every ms
//                                      (stops when the answer says X-Console-Final)
"use strict";
(function () {
  const meta = document.querySelector('meta[name="mock-halo-admin-token"]');
  const auth = meta ? { Authorization: "Bearer " + meta.content } : {};
  const notice = document.getElementById("notice");
  let noticeTimer = null;

  function say(text, failed) {
    if (!notice) return;
    notice.textContent = text;
    notice.className = failed ? "failed" : "done";
    notice.hidden = false;
    clearTimeout(noticeTimer);
    if (!failed) noticeTimer = setTimeout(function () { notice.hidden = true; }, 4000);
  }

  async function call(method, path, body) {
    const init = { method: method, headers: Object.assign({}, auth), credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (!response.ok) {
      let text = response.status + " " + response.statusText;
      try {
        const data = await response.json();
        text = response.status + ": " + ((data.error && data.error.message) || data.message || text);
      } catch (ignored) { /* not JSON: keep the status line */ }
      throw new Error(text);
    }
    return response;
  }

  function fieldsOf(form) {
    const json = form.querySelector("[data-json]");
    if (json) return JSON.parse(json.value);
    const body = {};
    form.querySelectorAll("input[name], select[name]").forEach(function (field) {
      if (field.value === "") return;
      body[field.name] = field.type === "number" ? Number(field.value) : field.value;
    });
    return body;
  }

  async function act(element, body) {
    if (element.dataset.confirm && !window.confirm(element.dataset.confirm)) return;
    const space = element.dataset.api.indexOf(" ");
    try {
      await call(element.dataset.api.slice(0, space), element.dataset.api.slice(space + 1), body);
      say(element.dataset.done || "Done.", false);
    } catch (error) {
      say(error.message, true);
    }
    await refreshAll(true);
  }

  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-api]");
    if (!form) return;
    event.preventDefault();
    let body;
    try {
      body = fieldsOf(form);
    } catch (error) {
      say("The rule is not JSON: " + error.message, true);
      return;
    }
    act(form, body);
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-api]");
    if (!button) return;
    act(button, button.dataset.body ? JSON.parse(button.dataset.body) : undefined);
  });

  document.addEventListener("change", function (event) {
    const field = event.target.closest("select[data-api]");
    if (!field) return;
    const body = {};
    body[field.name] = field.value;
    act(field, body);
  });

  // -- live parts ----------------------------------------------------------------------------
  function busy(region) {
    // Never replace a field someone is typing in.
    const active = document.activeElement;
    return active && region.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  async function refresh(region, forced) {
    const url = region.dataset.live;
    if (!url || (!forced && busy(region))) return;
    const every = Number(region.dataset.every || 1000);
    const last = Number(region.dataset.refreshed || 0);
    if (!forced && Date.now() - last < every) return;
    region.dataset.refreshed = String(Date.now());
    try {
      const response = await fetch(url, { headers: auth, credentials: "same-origin" });
      if (!response.ok) return;
      const html = await response.text();
      if (forced || !busy(region)) region.innerHTML = html;
      if (response.headers.get("X-Console-Final")) delete region.dataset.live;
    } catch (ignored) { /* the emulator stopped or restarts: try again next time */ }
  }

  async function refreshClock() {
    const clock = document.getElementById("clock");
    if (!clock) return;
    try {
      const response = await fetch("/_mock/clock", { headers: auth, credentials: "same-origin" });
      if (!response.ok) return;
      const state = await response.json();
      const mode = state.frozen ? "frozen" : state.speed === 1 ? "real time" : "running \u00d7" + state.speed;
      clock.textContent = state.now + " \u00b7 " + mode;
      document.querySelectorAll("[data-clock-now]").forEach(function (el) { el.textContent = state.now; });
    } catch (ignored) { /* as above */ }
  }

  async function refreshAll(forced) {
    const regions = Array.prototype.slice.call(document.querySelectorAll("[data-live]"));
    await Promise.all(regions.map(function (region) { return refresh(region, forced); }).concat([refreshClock()]));
  }

  setInterval(function () { if (!document.hidden) refreshAll(false); }, 500);
})();
