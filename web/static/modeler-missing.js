// The modeler page: say so when the modeler bundle cannot be loaded (not built, or blocked).
// Loaded before the bundle; a script's load error does not bubble, so it is caught on the way down.
window.addEventListener('error', function (event) {
  if (event.target && event.target.id === 'modeler-bundle') {
    document.getElementById('modeler-missing').hidden = false;
  }
}, true);
