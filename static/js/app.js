// Small behaviours without inline scripts (keeps a strict CSP possible).
document.addEventListener("htmx:afterSwap", () => fadeToasts());
document.addEventListener("DOMContentLoaded", () => fadeToasts());
document.body?.addEventListener("showToast", (event) => addToast(event.detail.value || event.detail.message));
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
