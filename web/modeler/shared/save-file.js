// The browser's download of text made on the page (a .bpmn or .dmn file).

export function saveFile(name, text, type = 'application/xml') {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);  // once the browser has read it
}
