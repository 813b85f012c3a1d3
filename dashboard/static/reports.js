// Reports page: the tables are rendered by the server; this draws the wait histogram and wires the agency picker.
import { jsonBlock } from "/static/js/dom.js";
import { histogramChart, wireAgencyPicker } from "./common.js";

const data = jsonBlock("charts");
if (window.Chart) histogramChart(document.getElementById("histogram-chart"), data.wait_histogram);
wireAgencyPicker();
