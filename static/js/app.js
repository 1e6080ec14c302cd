// Small progressive enhancements; every page works without them.
document.addEventListener("htmx:responseError", (event) => {
  const box = document.getElementById("htmx-error") || document.createElement("div");
  box.id = "htmx-error";
  box.className = "flash flash-error";
  box.setAttribute("role", "alert");
  box.textContent = `Request failed (${event.detail.xhr.status}). Please retry.`;
  document.querySelector("main")?.prepend(box);
});
document.addEventListener("click", (event) => {
  const tab = event.target.closest("[data-tab]");
  if (!tab) return;
  document.querySelectorAll("[data-tab]").forEach((t) => t.setAttribute("aria-selected", t === tab ? "true" : "false"));
});
