// Small behaviours without inline scripts (keeps a strict CSP possible).
document.addEventListener("htmx:afterSwap", () => fadeToasts());
document.addEventListener("DOMContentLoaded", () => fadeToasts());
document.addEventListener("showToast", (event) => addToast(event.detail.value || event.detail.message));

function addToast(text) {
  if (!text) return;
  const box = document.getElementById("toasts");
  if (!box) return;
  const toast = document.createElement("div");
  toast.className = "toast toast-success";
  toast.textContent = text;
  box.appendChild(toast);
  fadeToasts();
}

function fadeToasts() {
  document.querySelectorAll(".toast:not([data-fading])").forEach((toast) => {
    toast.dataset.fading = "1";
    setTimeout(() => toast.remove(), 6000);
  });
}

// Confirm dangerous actions declared with data-confirm.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset?.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// ── followups: the case drawer ─────────────────────────────────────────────────────────────────────
// Error toasts (HX-Trigger: {"showErrorToast": "…"}).
document.addEventListener("showErrorToast", (event) => {
  addToast(event.detail.value || event.detail.message);
  const box = document.getElementById("toasts");
  const last = box && box.lastElementChild;
  if (last) last.className = "toast toast-error";
});

// Quick picks: <button data-fill="field" data-value="…" [data-submit]> sets a field of its form,
// lets htmx see the change (live quote preview), and optionally submits.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-fill]");
  if (button) {
    const form = button.closest("form");
    const field = form && form.elements.namedItem(button.dataset.fill);
    if (!field) return;
    event.preventDefault();
    field.value = button.dataset.value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
    if ("submit" in button.dataset) {
      form.requestSubmit();
    } else {
      field.focus();
    }
    return;
  }
  const clear = event.target.closest("[data-clear]");
  if (clear) {
    const target = document.querySelector(clear.dataset.clear);
    if (target) target.replaceChildren();
  }
});

// Keys 1–4 pick 接通 / 未接 / 拒绝 / 空号 in the contact form of the open drawer (not while typing).
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (!["1", "2", "3", "4"].includes(event.key)) return;
  const active = document.activeElement;
  if (active && (active.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName))
      && !(active.tagName === "INPUT" && ["radio", "checkbox", "button", "submit"].includes(active.type))) return;
  const drawer = (active && active.closest && active.closest(".drawer-row")) || document.querySelector(".drawer-row");
  const form = drawer && drawer.querySelector("[data-contact-form]");
  const radio = form && form.querySelector(`input[name="result"][data-key="${event.key}"]`);
  if (!radio) return;
  event.preventDefault();
  radio.checked = true;
  radio.focus();
  radio.dispatchEvent(new Event("change", { bubbles: true }));
});

// Print buttons (the board): <button data-print>.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
