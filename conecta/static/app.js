// Conecta's own few lines of script, the only ones besides htmx: the Content-Security-Policy allows no
// inline script and no eval, so behaviour that htmx attributes cannot express lives here.
"use strict";

// Escape closes the booking modal: its close link listens for this event (hx-trigger "close-modal from:body").
document.addEventListener("keyup", function (event) {
  if (event.key === "Escape" && document.querySelector("#modal .close")) {
    document.body.dispatchEvent(new CustomEvent("close-modal"));
  }
});

// A button with data-copy="#some-input" copies that input's value to the clipboard.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  navigator.clipboard.writeText(source.value).then(function () {
    button.textContent = "Copied";
  });
});

// A Zoom panel whose re-fetch failed (the server restarted during its wait, the network dropped) asks
// again a little later rather than showing "Creating Zoom meeting…" until a reload.
document.addEventListener("htmx:afterRequest", function (event) {
  const panel = event.detail.elt;
  if (event.detail.successful || !panel.matches || !panel.matches(".zoom-panel[hx-get]")) return;
  setTimeout(function () {
    if (panel.isConnected) htmx.trigger(panel, "zoom-panel-retry");
  }, 5000);
});
