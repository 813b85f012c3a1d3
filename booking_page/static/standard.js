// The booking page shows the chosen service's standard (requirements, procedure, time, cost, product,
// complaints) before a slot is picked: the page carries one <details> per service, this shows the chosen one.

const select = document.getElementById("bk-service");

function show() {
  for (const box of document.querySelectorAll(".bk-standard")) box.hidden = box.dataset.service !== select.value;
}

select?.addEventListener("change", show);
show();
