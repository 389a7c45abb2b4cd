// The web admin's only script: confirmations, select-all, and the CSRF header for fetch().
// No inline script anywhere: the Content-Security-Policy allows scripts from /assets only.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-confirm]").forEach((element) => {
    element.addEventListener("click", (event) => {
      if (!window.confirm(element.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  const all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll("input[name=ids]").forEach((box) => { box.checked = all.checked; });
    });
  }
});
window.smokeflowFetch = (url, options = {}) => {
  const token = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  options.headers = Object.assign({ "X-CSRF-Token": token }, options.headers || {});
  options.credentials = "same-origin";
  return fetch(url, options);
};
