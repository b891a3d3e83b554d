// The print button of a printable page (the tally sheet): no inline script under the CSP.
document.getElementById("print-tally")?.addEventListener("click", () => window.print());
