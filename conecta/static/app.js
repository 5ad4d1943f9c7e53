// Conecta's own few lines of script, the only ones besides htmx: the Content-Security-Policy allows no
// inline script and no eval, so behaviour that htmx attributes cannot express lives here.
"use strict";

document.documentElement.classList.add("js");

// ---------------------------------------------------------------------------------------------------
// Dialogs (the WAI-ARIA Authoring Practices' modal dialog pattern), for every element with
// role="dialog" or role="alertdialog" that htmx swaps in — the booking modal, the event drawer, every
// server-rendered confirmation — without any per-template script:
//   - on open, focus moves to the element marked [autofocus] or [data-dialog-focus], else to the first
//     invalid field, else the first field, else the dialog's heading (its aria-labelledby);
//   - Tab and Shift-Tab cycle inside the topmost dialog;
//   - Escape activates the dialog's [data-dialog-close] control (its own close or cancel link, so the
//     server decides what closing means); a dialog in #modal without one is simply emptied;
//   - when the dialog goes away, focus returns to the control that opened it, or to the same control
//     re-rendered (found by id, href or hx-get), or to <main>.
// A dialog replaced in its slot (the modal going from view to edit, a form re-rendered with its errors)
// stays the same dialog: it keeps its opener.
// ---------------------------------------------------------------------------------------------------
const DIALOGS = '[role="dialog"], [role="alertdialog"]';
const FOCUSABLE = 'a[href], button, input, select, textarea, summary, [tabindex]';
const FIELDS = 'input:not([type="hidden"]):not([type="submit"]):not([type="button"]), select, textarea';
const open = []; // {el, slot, opener: {el, id, href, hxGet, tag, text}}, the topmost last
let pendingOpener = null;

function visible(el) {
  return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
}

function focusables(dialog) {
  return Array.from(dialog.querySelectorAll(FOCUSABLE)).filter(function (el) {
    return !el.disabled && el.tabIndex >= 0 && visible(el);
  });
}

function slotOf(dialog) {
  const holder = dialog.parentElement && dialog.parentElement.closest("[id]");
  return holder ? holder.id : dialog.id;
}

function describe(el) {
  if (!el || el === document.body) return null;
  return {
    el: el, id: el.id, href: el.getAttribute("href"), hxGet: el.getAttribute("hx-get"),
    tag: el.tagName, text: el.textContent.trim(),
  };
}

function find(opener) {
  if (!opener) return null;
  if (opener.el.isConnected && visible(opener.el)) return opener.el;
  const candidates = [];
  if (opener.id) candidates.push(document.getElementById(opener.id));
  if (opener.href) candidates.push.apply(candidates, document.querySelectorAll('[href="' + CSS.escape(opener.href) + '"]'));
  if (opener.hxGet) candidates.push.apply(candidates, document.querySelectorAll('[hx-get="' + CSS.escape(opener.hxGet) + '"]'));
  if (opener.text) {
    candidates.push.apply(candidates, Array.from(document.querySelectorAll(opener.tag)).filter(function (el) {
      return el.textContent.trim() === opener.text;
    }));
  }
  return candidates.find(function (el) { return el && visible(el); }) || null;
}

function focusInside(dialog) {
  const chosen = dialog.querySelector("[autofocus], [data-dialog-focus]")
    || Array.from(dialog.querySelectorAll('[aria-invalid="true"]')).find(visible)
    || Array.from(dialog.querySelectorAll(FIELDS)).find(function (el) { return !el.disabled && visible(el); });
  if (chosen) { chosen.focus(); return; }
  const labelId = dialog.getAttribute("aria-labelledby");
  const heading = (labelId && document.getElementById(labelId)) || dialog;
  if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
  heading.focus();
}

function restoreFocus(opener) {
  let target = find(opener);
  if (!target) {
    target = document.querySelector("main");
    if (target && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
  }
  if (target) target.focus();
}

function syncDialogs() {
  const present = Array.from(document.querySelectorAll(DIALOGS)).filter(visible);
  let giveBack = null;
  for (let i = open.length - 1; i >= 0; i--) {
    const entry = open[i];
    if (entry.el.isConnected && visible(entry.el)) continue;
    const successor = present.find(function (d) {
      return slotOf(d) === entry.slot && !open.some(function (o) { return o.el === d; });
    });
    if (successor) {
      entry.el = successor;
      const topmost = i === open.length - 1;
      if (topmost && !successor.contains(document.activeElement)) focusInside(successor);
    } else {
      open.splice(i, 1);
      if (i === open.length) giveBack = entry.opener;
    }
  }
  const opened = present.filter(function (dialog) {
    return !open.some(function (o) { return o.el === dialog; });
  });
  opened.forEach(function (dialog) {
    open.push({el: dialog, slot: slotOf(dialog), opener: pendingOpener});
  });
  // Only the topmost dialog is live: one under it (the drawer under the modal) is inert and hidden
  // from assistive technology until it is on top again, as aria-modal promises.
  open.forEach(function (entry, i) {
    entry.el.inert = i < open.length - 1;
    if (entry.el.inert) entry.el.setAttribute("aria-hidden", "true");
    else entry.el.removeAttribute("aria-hidden");
  });
  if (opened.length) focusInside(opened[opened.length - 1]);
  else if (giveBack) restoreFocus(giveBack);
  pendingOpener = null;
}

function topDialog() {
  return open.length ? open[open.length - 1] : null;
}

document.addEventListener("htmx:beforeRequest", function (event) {
  const active = document.activeElement;
  pendingOpener = describe(active && active !== document.body ? active : event.detail.elt);
});
document.addEventListener("htmx:afterSettle", function () {
  syncDialogs();
  closeIfEscapeWaited();
});
// A dialog re-rendered under the top one (the drawer refreshed under the modal) is hidden from the moment
// it is swapped in, not only once the swap has settled: nothing reads the page with both exposed.
document.addEventListener("htmx:afterSwap", function () {
  const top = topDialog();
  if (!top) return;
  document.querySelectorAll(DIALOGS).forEach(function (dialog) {
    const under = open.some(function (o) { return o !== top && o.slot === slotOf(dialog); });
    if (under && dialog !== top.el) {
      dialog.inert = true;
      dialog.setAttribute("aria-hidden", "true");
    }
  });
});
document.addEventListener("DOMContentLoaded", syncDialogs);

// Escape pressed while the top dialog is being re-rendered (htmx swaps it, then settles it a moment later:
// only then are the new controls live) closes it once it has settled, instead of being lost.
let escapeOnSettle = false;

function closeTopDialog() {
  const top = topDialog();
  if (!top) return;
  const close = top.el.querySelector("[data-dialog-close]");
  if (close) {
    close.click();
  } else if (top.slot === "modal") {
    document.getElementById("modal").replaceChildren();
    syncDialogs();
  }
}

// After syncDialogs (on htmx:afterSettle): the top dialog is settled in its place.
function closeIfEscapeWaited() {
  const top = topDialog();
  if (!escapeOnSettle || !top || !top.el.isConnected || top.el.closest(".htmx-settling")) return;
  escapeOnSettle = false;
  closeTopDialog();
}

document.addEventListener("keydown", function (event) {
  const top = topDialog();
  if (!top) return;
  if (event.key === "Escape") {
    event.preventDefault();
    if (top.el.isConnected) closeTopDialog();
    else escapeOnSettle = true;
  } else if (event.key === "Tab" && top.el.isConnected) {
    const items = focusables(top.el);
    if (!items.length) { event.preventDefault(); return; }
    const first = items[0], last = items[items.length - 1], active = document.activeElement;
    const inside = top.el.contains(active);
    if (event.shiftKey && (active === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  }
});

// ---------------------------------------------------------------------------------------------------
// Announcements: one polite live region (#announcer, in base.html) says what an htmx swap changed that
// matters. A swapped-in element marked [data-announce] is read out when its text differs from the last
// time (the Zoom panel: "Creating Zoom meeting…", then "Zoom meeting ready"); a form re-rendered with
// errors has them read out.
// ---------------------------------------------------------------------------------------------------
// The words go into a closed shadow root of #announcer: screen readers hear them (the accessibility
// tree includes it), while the page's text — and so a test looking for "Booking saved." — holds them only
// once, where they are shown. #announcer's data-said keeps the last words said, for the tests.
const announced = {};
const announcer = (function () {
  const host = document.getElementById("announcer");
  if (!host) return null;
  const words = document.createElement("span");
  host.attachShadow({mode: "closed"}).append(words);
  return {host: host, words: words};
})();

function announce(text) {
  if (!announcer || !text) return;
  announcer.words.textContent = "";
  // A change after an empty moment is read out even when the words repeat.
  setTimeout(function () {
    announcer.words.textContent = text;
    announcer.host.dataset.said = text;
  }, 100);
}

document.addEventListener("htmx:afterSettle", function (event) {
  const root = event.detail.elt;
  if (!root || !root.querySelectorAll) return;
  // What was said of an element that is gone (a closed modal) may be said again of the next one.
  Object.keys(announced).forEach(function (key) {
    if (!document.getElementById(key)) delete announced[key];
  });
  const parts = [];
  const marked = Array.from(root.querySelectorAll("[data-announce]"));
  if (root.matches("[data-announce]")) marked.unshift(root);
  marked.forEach(function (el) {
    const text = el.textContent.trim().replace(/\s+/g, " ");
    const holder = el.closest("[id]");
    const key = holder ? holder.id : text;
    if (announced[key] === text) return;
    announced[key] = text;
    parts.push(text);
  });
  const invalid = root.querySelectorAll('[aria-invalid="true"]');
  if (invalid.length) {
    const errors = Array.from(root.querySelectorAll(".error-text, .flash-error"))
      .map(function (el) { return el.textContent.trim(); }).filter(Boolean);
    parts.push((errors.length === 1 ? "There is a problem: " : "There are problems: ") + errors.join(" "));
  }
  if (parts.length) announce(parts.join(". "));
});

// ---------------------------------------------------------------------------------------------------
// The top bar on phones: the Menu button shows and hides the navigation (aria-expanded says which).
// ---------------------------------------------------------------------------------------------------
document.addEventListener("click", function (event) {
  const toggle = event.target.closest("[data-menu-toggle]");
  if (!toggle) return;
  const menu = document.getElementById(toggle.getAttribute("aria-controls"));
  const expanded = toggle.getAttribute("aria-expanded") === "true";
  toggle.setAttribute("aria-expanded", expanded ? "false" : "true");
  if (menu) menu.classList.toggle("is-open", !expanded);
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
