// Live checks in the scenario editor: a second after you stop typing, the text is linted on the server
// (POST .../check, nothing saved) and the problems are listed above the textarea. Text only (textContent),
// no framework; served by the app itself under the editor page's CSP (script-src 'self').
"use strict";
(function () {
  const form = document.getElementById("save");
  const live = document.getElementById("live");
  if (!form || !live) return;
  const text = form.querySelector("textarea[name=text]");
  const csrf = form.querySelector("input[name=csrf]").value;
  let timer = null;
  let asked = 0;
  function show(problems) {
    live.replaceChildren();
    const head = document.createElement("p");
    // the words come from the page (data-*), in the staff member's language; {n} and {example} are filled in here
    head.textContent = problems.length ? live.dataset.some.replace("{n}", problems.length) : live.dataset.clean;
    live.appendChild(head);
    const list = document.createElement("ul");
    for (const p of problems) {
      const item = document.createElement("li");
      item.className = "problem " + p.severity;
      item.textContent =
        live.dataset.line.replace("{n}", p.line) + ": " + p.message +
        (p.example ? " (" + live.dataset.example.replace("{example}", p.example) + ")" : "");
      list.appendChild(item);
    }
    live.appendChild(list);
  }
  async function check() {
    const mine = ++asked;
    const body = new FormData();
    body.append("csrf", csrf);
    body.append("text", text.value);
    try {
      const r = await fetch(form.action + "/check", { method: "POST", body: body, credentials: "same-origin" });
      if (r.ok && mine === asked) show((await r.json()).problems);
    } catch (e) {
      // offline or the server restarting: the next save checks anyway
    }
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 800);
  });
})();
