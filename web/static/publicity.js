// The publicity form: the count field says what it counts for the form chosen (展板 块, 短信 条, 入户 户 ...),
// and is hidden for forms that count nothing but their audience and copies (lectures, leaflets).
(function () {
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("form");
    const field = document.getElementById("items-field");
    if (!form || !field) return;
    const label = field.querySelector("label");
    const plain = label.textContent;
    function update() {
      const option = form.options[form.selectedIndex];
      const word = option ? option.getAttribute("data-item-label") : "";
      label.textContent = word || plain;
      field.hidden = Boolean(option && option.value && !word);
    }
    form.addEventListener("change", update);
    update();
  });
})();
