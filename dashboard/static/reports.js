// Reports page: the tables are rendered by the server; this draws the wait histogram and wires the agency picker.
import { histogramChart } from "./common.js";

const data = JSON.parse(document.getElementById("charts").textContent);
if (window.Chart) histogramChart(document.getElementById("histogram-chart"), data.wait_histogram);

const agencySelect = document.getElementById("agency-select");
agencySelect?.addEventListener("change", () => document.getElementById("agency-form").submit());
