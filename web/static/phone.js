// Phone-sized screens (issue 17), with web/static/phone.css:
// - a list table marked .table-cards becomes one card per row: each cell gets its column's heading as data-label;
// - every other table in the page scrolls in its own box rather than widening the page;
// - a form marked .filters-folded is shown by its "筛选" button (.filters-toggle) on phones;
// - details.fold-on-phone (the step records above a task form) start folded on phones.
(function () {
  function labelCells(table) {
    const headings = Array.from(table.querySelectorAll("thead th")).map(th => th.textContent.trim());
    table.querySelectorAll("tbody tr").forEach(row => {
      Array.from(row.children).forEach((cell, i) => {
        if (headings[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", headings[i]);
      });
    });
  }
  function wrapTable(table) {
    const parent = table.parentElement;
    if (!parent || parent.classList.contains("table-scroll") || parent.classList.contains("table-responsive")) return;
    const box = document.createElement("div");
    box.className = "table-scroll";
    parent.insertBefore(box, table);
    box.appendChild(table);
  }
  function prepare(root) {
    root.querySelectorAll("main table").forEach(table => {
      if (table.classList.contains("table-cards")) labelCells(table); else wrapTable(table);
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    prepare(document);
    // Long sections (the step records above a task form) start folded on a phone.
    if (window.matchMedia("(max-width: 767.98px)").matches) {
      document.querySelectorAll("details.fold-on-phone[open]").forEach(details => details.removeAttribute("open"));
    }
    document.querySelectorAll(".filters-toggle").forEach(button => {
      button.addEventListener("click", () => {
        const form = document.getElementById(button.getAttribute("aria-controls"));
        const open = form.classList.toggle("show");
        button.setAttribute("aria-expanded", open ? "true" : "false");
      });
    });
  });
  // Rows htmx swaps in later are labelled too.
  document.addEventListener("htmx:afterSettle", event => prepare(event.target.ownerDocument || document));
})();
