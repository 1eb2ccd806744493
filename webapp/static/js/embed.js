/* Feedloop in-app survey widget. Paste on your pages:
 *   <script src="https://YOUR-FEEDLOOP/embed.js" data-survey="SURVEY-KEY" async></script>
 * Identified mode adds data-email="user@customer.com" data-signature="HEX HMAC-SHA256 of the lower-cased email
 * under the survey's secret", computed by your server. Optional: data-locale="de", data-title="Feedback".
 * The survey runs in an isolated iframe; this script only adds that iframe and touches nothing else. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.URLSearchParams) return;
  var survey = script.getAttribute("data-survey");
  if (!survey) { console.warn("Feedloop: the embed script needs data-survey=\"<survey key>\"."); return; }
  var registry = window.__feedloopWidgets = window.__feedloopWidgets || {};
  if (registry[survey]) return;  // pasted twice: one widget
  registry[survey] = true;

  var base = new URL(script.src, window.location.href).origin;
  var params = new URLSearchParams();
  params.set("origin", window.location.origin);
  var email = script.getAttribute("data-email");
  if (email) {
    params.set("email", email);
    params.set("sig", script.getAttribute("data-signature") || "");
  }
  var locale = script.getAttribute("data-locale");
  if (locale) params.set("lang", locale);
  var memoryKey = "feedloop:" + survey + ":" + (email || "visitor");
  var path = base + "/w/" + encodeURIComponent(survey);

  function recentlyAsked(days) {
    try {
      var at = Number(window.localStorage.getItem(memoryKey));
      return at && days && Date.now() - at < days * 86400000;
    } catch (e) { return false; }
  }

  function remember() {
    try { window.localStorage.setItem(memoryKey, String(Date.now())); } catch (e) { /* storage blocked */ }
  }

  function mount() {
    var frame = document.createElement("iframe");
    frame.src = path + "?" + params.toString();
    frame.title = script.getAttribute("data-title") || "Feedback survey";
    frame.setAttribute("data-feedloop-widget", survey);
    var style = {
      position: "fixed", right: "16px", bottom: "16px", left: "auto", top: "auto", width: "400px",
      "max-width": "calc(100vw - 32px)", height: "240px", "max-height": "calc(100vh - 32px)", border: "0",
      margin: "0", padding: "0", "border-radius": "12px", background: "transparent", opacity: "1",
      "box-shadow": "0 12px 32px rgba(15, 23, 42, .28)", "z-index": "2147483000", display: "block",
      "color-scheme": "light", transition: "height .15s ease-out"
    };
    Object.keys(style).forEach(function (name) { frame.style.setProperty(name, style[name], "important"); });
    window.addEventListener("message", function (event) {
      if (event.origin !== base || event.source !== frame.contentWindow) return;
      var data = event.data || {};
      if (data.type === "feedloop:resize" && typeof data.height === "number") {
        frame.style.setProperty("height", Math.max(80, Math.round(data.height)) + "px", "important");
      } else if (data.type === "feedloop:answered") {
        remember();
      } else if (data.type === "feedloop:close") {
        remember();
        frame.remove();
      }
    });
    (document.body || document.documentElement).appendChild(frame);
  }

  fetch(path + "/check?" + params.toString(), { mode: "cors", credentials: "omit" })
    .then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    })
    .then(function (result) {
      if (!result.ok) { console.warn("Feedloop: " + (result.body && result.body.error)); return; }
      if (!result.body.show) return;
      if (!email && recentlyAsked(result.body.fatigue_days)) return;  // visitors: remembered in this browser
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
      else mount();
    })
    .catch(function (error) { console.warn("Feedloop: the survey check failed", error); });
})();
