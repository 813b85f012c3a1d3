// The poster's print button (no inline script may run under the site's Content-Security-Policy).
document.getElementById("poster-print").addEventListener("click", (ev) => {
  ev.preventDefault();
  window.print();
});
