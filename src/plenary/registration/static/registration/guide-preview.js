// The guide's preview follows the text as it is typed, filled with the sample participant's
// values (the server's preview, on "Preview" or "Save", is the one that checks the text).
(function () {
  "use strict";
  var data = document.getElementById("guide-samples");
  if (!data) return;
  var samples = JSON.parse(data.textContent);

  function fill(text, values) {
    return text.replace(/\{\{|\}\}|\{([^{}]*)\}/g, function (whole, name) {
      if (whole === "{{") return "{";
      if (whole === "}}") return "}";
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : "⚠" + whole;
    });
  }

  document.querySelectorAll("form.guide-form").forEach(function (form) {
    var language = form.elements.language.value;
    var preview = document.getElementById(form.dataset.preview);
    var values = samples[language] || {};
    function update() {
      preview.querySelector(".guide-preview-subject").textContent = fill(form.elements.subject.value, values);
      preview.querySelector(".guide-preview-body").textContent = fill(form.elements.body.value, values);
    }
    form.elements.subject.addEventListener("input", update);
    form.elements.body.addEventListener("input", update);
  });
})();
