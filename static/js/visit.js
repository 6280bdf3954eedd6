// Visit screens: countdown from planned_end (keeps running offline), hold-to-SOS, reveal toggles,
// geolocation on request, client-made ids for idempotent replays.
(function () {
  "use strict";

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (crypto.getRandomValues(new Uint8Array(1))[0] & 15);
      return (c === "x" ? r : (r & 3) | 8).toString(16);
    });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function formatLeft(ms) {
    var over = ms < 0;
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var text = (h ? h + ":" + pad(m) : m) + ":" + pad(sec);
    return over ? "−" + text : text;
  }

  function startCountdowns(root) {
    root.querySelectorAll("[data-planned-end]").forEach(function (el) {
      if (el.dataset.counting) { return; }
      el.dataset.counting = "1";
      var end = Date.parse(el.dataset.plannedEnd);
      // The server's clock decides; correct for a phone whose clock is off.
      var skew = el.dataset.now ? Date.parse(el.dataset.now) - Date.now() : 0;
      var target = el.querySelector("#countdown") || null;
      if (!target) { return; }
      function tick() {
        if (!document.body.contains(el)) { return; }
        var left = end - (Date.now() + skew);
        target.textContent = formatLeft(left);
        el.classList.toggle("is-soon", left < 5 * 60 * 1000 && left >= 0);
        el.classList.toggle("is-over", left < 0);
        setTimeout(tick, 1000 - (Date.now() % 1000));
      }
      tick();
    });
  }

  function fillClientIds(root) {
    root.querySelectorAll("input[data-client-id]").forEach(function (input) {
      if (!input.value) { input.value = uuid(); }
    });
  }

  function setupReveal(root) {
    root.querySelectorAll("[data-reveal-when]").forEach(function (el) {
      var rule = el.dataset.revealWhen.split("=");
      var form = el.closest("form");
      if (!form) { return; }
      function update() {
        var show;
        if (rule.length === 2) {
          var checked = form.querySelector("input[name='" + rule[0] + "']:checked");
          show = checked && checked.value === rule[1];
        } else {
          var box = form.querySelector("input[name='" + rule[0] + "']");
          show = box && box.checked;
        }
        el.hidden = !show;
      }
      form.addEventListener("change", update);
      update();
    });
  }

  function setupLocation(root) {
    var box = root.querySelector("input[name='share_location']");
    if (!box || box.dataset.bound) { return; }
    box.dataset.bound = "1";
    var form = box.closest("form");
    var status = root.querySelector("#location-status");
    box.addEventListener("change", function () {
      if (!box.checked) {
        ["lat", "lon", "accuracy"].forEach(function (n) { form.elements[n].value = ""; });
        if (status) { status.textContent = ""; }
        return;
      }
      if (!navigator.geolocation) { if (status) { status.textContent = status.dataset.unavailable || ""; } return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude;
        form.elements.lon.value = pos.coords.longitude;
        form.elements.accuracy.value = Math.round(pos.coords.accuracy);
        if (status) { status.textContent = "✓ " + Math.round(pos.coords.accuracy) + " m"; }
      }, function () {
        if (status) { status.textContent = "–"; }
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  function setupSos(root) {
    root.querySelectorAll(".sos-button[data-hold-ms]").forEach(function (button) {
      if (button.dataset.bound) { return; }
      button.dataset.bound = "1";
      var holdMs = parseInt(button.dataset.holdMs, 10) || 2000;
      var form = button.closest("form");
      var timer = null, started = 0, frame = null, armed = false;
      function progress() {
        var p = Math.min(1, (Date.now() - started) / holdMs);
        button.style.setProperty("--hold", p);
        if (p < 1) { frame = requestAnimationFrame(progress); }
      }
      function begin(event) {
        if (timer) { return; }
        if (event.type === "keydown" && event.key !== " " && event.key !== "Enter") { return; }
        event.preventDefault();
        started = Date.now();
        button.classList.add("is-holding");
        frame = requestAnimationFrame(progress);
        timer = setTimeout(function () {
          armed = true;
          button.classList.add("is-sent");
          if (navigator.vibrate) { navigator.vibrate([200, 100, 200]); }
          if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
        }, holdMs);
      }
      function cancel() {
        if (!timer) { return; }
        clearTimeout(timer); timer = null;
        cancelAnimationFrame(frame);
        button.classList.remove("is-holding");
        button.style.setProperty("--hold", 0);
      }
      button.addEventListener("pointerdown", begin);
      button.addEventListener("keydown", begin);
      ["pointerup", "pointerleave", "pointercancel", "keyup", "blur"].forEach(function (t) {
        button.addEventListener(t, cancel);
      });
      button.addEventListener("contextmenu", function (e) { e.preventDefault(); });
      // A plain tap never sends: only a completed hold (or the confirm page) does.
      form.addEventListener("submit", function (event) {
        if (!armed) { event.preventDefault(); event.stopImmediatePropagation(); button.classList.add("needs-hold"); }
        armed = false;
      }, true);
    });
  }

  function init(root) {
    startCountdowns(root);
    fillClientIds(root);
    setupReveal(root);
    setupLocation(root);
    setupSos(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.detail.elt || document); });
  if (document.readyState !== "loading") { init(document); }
})();
