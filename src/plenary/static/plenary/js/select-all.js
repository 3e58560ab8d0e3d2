// A box with data-select-all="NAME" ticks or clears every box named NAME in its form (the
// rows of the page shown); ticking a row by hand keeps the box in step.
document.addEventListener("change", (event) => {
  const master = event.target.closest("[data-select-all]");
  const form = event.target.form;
  if (!form) return;
  if (master) {
    for (const box of form.querySelectorAll(`input[type=checkbox][name="${master.dataset.selectAll}"]`)) {
      box.checked = master.checked;
    }
    return;
  }
  const all = form.querySelector(`[data-select-all="${event.target.name}"]`);
  if (all) {
    const boxes = [...form.querySelectorAll(`input[type=checkbox][name="${event.target.name}"]`)];
    all.checked = boxes.length > 0 && boxes.every((box) => box.checked);
  }
});
