// The campaign-phase selector (templates/_phase_select.html): choosing a phase shows its period at once;
// a date typed by hand means "these dates", so it clears the phase.
document.querySelectorAll('select.phase-filter').forEach((select) => {
  const form = select.form;
  if (!form) return;
  select.addEventListener('change', () => form.submit());
  form.querySelectorAll('input[type="date"], input[type="month"]').forEach((input) => {
    input.addEventListener('change', () => { select.value = ''; });
  });
});
