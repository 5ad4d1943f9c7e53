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
