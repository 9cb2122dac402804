/* Small behaviours the Content-Security-Policy allows only from a file (no inline script). */
(function () {
  "use strict";

  // The top navigation folds into a Menu button on narrow screens (CSS decides when the
  // button shows); the button says whether the menu is open.
  function setUpMenu() {
    var button = document.querySelector(".menu-toggle");
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;
    document.documentElement.classList.add("has-menu");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("open")) {
        button.setAttribute("aria-expanded", "false");
        menu.classList.remove("open");
        button.focus();
      }
    });
  }

  // A table wider than a phone scrolls inside its own box (app.css); a box that scrolls
  // must be reachable by keyboard, or a keyboard user cannot see its right-hand columns.
  function makeScrollingTablesFocusable() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth) {
        table.setAttribute("tabindex", "0");
      } else if (table.getAttribute("tabindex") === "0") {
        table.removeAttribute("tabindex");
      }
    });
  }

  function start() {
    setUpMenu();
    makeScrollingTablesFocusable();
    window.addEventListener("resize", makeScrollingTablesFocusable);
    document.body.addEventListener("htmx:afterSettle", makeScrollingTablesFocusable);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
