// The language list changes the page as soon as a language is chosen (the button inside
// <noscript> does it without JavaScript).
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-submit-on-change]");
  if (field && field.form) field.form.requestSubmit();
});
