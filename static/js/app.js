// Small progressive enhancements; every page works without them.
const announcer = () => document.getElementById("sr-announcer");

// Say something to screen readers politely (the live region in base.html), without moving focus.
function announce(text) {
  const region = announcer();
  if (!region) return;
  region.textContent = "";
  window.setTimeout(() => { region.textContent = text; }, 50);
}
window.cspAnnounce = announce;

document.addEventListener("htmx:responseError", (event) => {
  const box = document.getElementById("htmx-error") || document.createElement("div");
  box.id = "htmx-error";
  box.className = "flash flash-error";
  box.setAttribute("role", "alert");
  box.textContent = `Request failed (${event.detail.xhr.status}). Please retry.`;
  document.querySelector("main")?.prepend(box);
});

// Tabs that swap the panel below them: the one shown is the current one.
document.addEventListener("click", (event) => {
  const tab = event.target.closest("[data-tab]");
  if (!tab) return;
  document.querySelectorAll("[data-tab]").forEach((t) => {
    if (t === tab) t.setAttribute("aria-current", "page"); else t.removeAttribute("aria-current");
  });
});

// Focus after an HTMX swap (WCAG 2.4.3): only for a swap the person started (a trusted key press, click or
// submit), never for a timed refresh such as the queue's. A refused form sends focus to its first error;
// typing in a filter box or changing a filter keeps focus where it is and announces the result instead.
const FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";
let started = null;

document.addEventListener("htmx:beforeRequest", (event) => {
  const trigger = event.detail.requestConfig?.triggeringEvent;
  const active = document.activeElement;
  started = trigger && trigger.isTrusted ? {
    elt: event.detail.elt, kind: trigger.type, active,
    id: active?.id || "",
    action: active?.form?.getAttribute("action") || null,
    index: active?.form ? [...active.form.querySelectorAll("button, input, select, textarea")].indexOf(active) : -1,
    ordinal: active?.form ? formsWithAction(document, active.form.getAttribute("action")).indexOf(active.form) : -1,
  } : null;
});

function firstError(root) {
  const invalid = root.querySelector("[aria-invalid='true']");
  if (invalid) return invalid;
  const list = root.querySelector(".errorlist");
  const field = list?.closest(".field, td, fieldset");
  const control = field?.querySelector("input:not([type=hidden]), select, textarea");
  if (control) return control;
  return root.querySelector(".flash-error") || list; // an error about the whole form: the message itself
}

function focusOn(el) {
  if (!el) return;
  if (!el.matches(FOCUSABLE) && !el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
  el.focus();
}

const formsWithAction = (root, action) => [...root.querySelectorAll("form")].filter((f) => f.getAttribute("action") === action);

// The control the person used, if the swap brought it back (a row or form re-rendered in place).
function sameControl(start, root) {
  if (start.id) {
    const byId = document.getElementById(start.id);
    if (byId && root.contains(byId)) return byId;
  }
  if (start.action) {
    const forms = formsWithAction(root, start.action);
    const form = forms[start.ordinal] || forms[0];
    const controls = form ? [...form.querySelectorAll("button, input, select, textarea")] : [];
    const again = controls[start.index] || controls.find((c) => c.matches("button, [type=submit]"));
    if (again && again.matches(FOCUSABLE)) return again;
  }
  return null;
}

document.addEventListener("htmx:afterSettle", (event) => {
  const start = started;
  started = null;
  if (!start) return; // a timed refresh or a script: focus stays where it is
  let target = event.detail.target;
  if (!target || !target.isConnected) target = document.getElementById(event.detail.target?.id || "") || null;
  if (!target) return;
  const error = firstError(target);
  if (error) { focusOn(error); return; }
  const active = start.active;
  const typing = active?.matches?.("input:not([type=checkbox]):not([type=radio]), select, textarea");
  if (typing && active.isConnected && start.kind !== "submit") {
    const rows = target.querySelectorAll("tbody tr").length;
    announce(rows ? `Results updated: ${rows} row${rows === 1 ? "" : "s"}.` : "Results updated.");
    return;
  }
  if (active?.isConnected && target.contains(active)) return; // the control is still there: stay on it
  const again = sameControl(start, target);
  if (again) { again.focus(); return; }
  focusOn(target); // a tab, a pager link, a refreshed list: the new content itself, read from its start
});

// A page that comes back with a refused form (no HTMX): focus its first error (WCAG 3.3.1).
document.addEventListener("DOMContentLoaded", () => {
  const form = [...document.querySelectorAll("main form")].find((f) =>
    f.querySelector("[aria-invalid='true'], .errorlist, .flash-error"));
  if (form) focusOn(firstError(form));
});

// A table box that scrolls sideways (narrow screens, zoom) and holds nothing focusable gets a tab stop and a
// name, so it can be scrolled with the arrow keys (WCAG 2.1.1).
function scrollBoxesReachable() {
  document.querySelectorAll(".table-wrap, .scroll-x").forEach((box) => {
    if (box.dataset.a11yScroll === "own") return;
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    const hasFocusable = box.querySelector(FOCUSABLE);
    if (scrolls && !hasFocusable) {
      box.dataset.a11yScroll = "set";
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      if (!box.hasAttribute("aria-label")) {
        const heading = box.closest("section, .panel, details, main")?.querySelector("h1, h2, h3, summary, caption");
        box.setAttribute("aria-label", `${heading ? heading.textContent.trim() : "Table"} (scrolls sideways)`);
      }
    } else if (box.dataset.a11yScroll === "set") {
      delete box.dataset.a11yScroll;
      ["tabindex", "role", "aria-label"].forEach((name) => box.removeAttribute(name));
    }
  });
}
document.addEventListener("DOMContentLoaded", scrollBoxesReachable);
document.addEventListener("htmx:afterSettle", scrollBoxesReachable);
window.addEventListener("resize", scrollBoxesReachable);
