// The evaluation page: its print button (the browser's print dialog also saves it as a PDF) and the agency picker.
import { wireAgencyPicker } from "./common.js";

document.getElementById("evaluation-print")?.addEventListener("click", (ev) => {
  ev.preventDefault();
  window.print();
});
wireAgencyPicker();
