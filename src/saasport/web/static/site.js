// Small progressive enhancements; every page works without them.
// Copy buttons: <button data-copy="id-of-element"> copies that element's text.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button || !navigator.clipboard) {
      return;
    }
    var source = document.querySelector('[data-testid="' + button.dataset.copy + '"]');
    if (!source) {
      return;
    }
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = button.dataset.copied || "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });
  // The menu is open on wide screens and folds into a button on phones.
  var menu = document.querySelector("details.menu");
  var wide = window.matchMedia("(min-width: 721px)");
  function fit() { if (menu) { menu.open = wide.matches; } }
  fit();
  wide.addEventListener("change", fit);
})();
