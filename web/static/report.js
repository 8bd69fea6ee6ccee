// The monthly report: the print button prints the page (the print stylesheet hides the controls).
document.getElementById('print-report').addEventListener('click', function () { window.print(); });
