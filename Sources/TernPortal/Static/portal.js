// Tern admin portal: the one script. Loaded with `defer`, so the DOM is parsed when it runs (no
// timers waiting for it). Every form submit disables its button until the request settles;
// POST forms go through `portalFetch`, which adds the CSRF header and shows the server's error
// message (or the network error) in a toast. A form with data-fetch="off" is sent natively.
"use strict";

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

function toast(message) {
  let box = document.getElementById("toasts");
  if (!box) {
    box = document.createElement("div");
    box.id = "toasts";
    box.setAttribute("role", "alert");
    document.body.appendChild(box);
  }
  const item = document.createElement("div");
  item.className = "toast";
  item.textContent = message;
  item.addEventListener("click", () => item.remove());
  box.appendChild(item);
}

// The message of a failed answer: the portal's error pages put it in [data-problem].
async function problemOf(response) {
  const text = await response.text();
  const found = new DOMParser().parseFromString(text, "text/html").querySelector("[data-problem]");
  const message = found ? found.textContent.trim() : text.trim().slice(0, 300);
  return message || `The server answered ${response.status} ${response.statusText}.`;
}

// Every fetch of the portal: CSRF header, same-origin cookies, errors shown. Resolves to the
// response when it succeeded, to null when it failed (the toast says why).
async function portalFetch(url, options = {}) {
  const headers = new Headers(options.headers || {});
  headers.set("X-CSRF-Token", csrfToken);
  let response;
  try {
    response = await fetch(url, { ...options, headers, credentials: "same-origin" });
  } catch (error) {
    toast(`Network error: ${error.message}. Nothing was changed on this page; try again.`);
    return null;
  }
  if (!response.ok) {
    toast(await problemOf(response));
    return null;
  }
  return response;
}

function busy(button, on) {
  if (!button) return;
  button.disabled = on;
  button.classList.toggle("busy", on);
  button.setAttribute("aria-busy", on ? "true" : "false");
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (form.method.toLowerCase() !== "post" || form.dataset.fetch === "off") {
    // Sent by the browser: the button stays disabled until the next page replaces this one.
    if (button?.disabled) { event.preventDefault(); return; }
    const data = button?.name ? [button.name, button.value] : null;
    if (data) {
      const hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = data[0]; hidden.value = data[1];
      form.appendChild(hidden);
    }
    busy(button, true);
    return;
  }
  event.preventDefault();
  if (button?.disabled) return;
  const body = new URLSearchParams(new FormData(form, event.submitter));
  busy(button, true);
  const response = await portalFetch(form.action, { method: "POST", body });
  if (response) {
    // Stays disabled: the next page replaces this one.
    window.location.assign(response.redirected ? response.url : window.location.href);
  } else {
    busy(button, false);
  }
});

window.portalFetch = portalFetch;
