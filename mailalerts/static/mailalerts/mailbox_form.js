// The connect form: choosing TLS or STARTTLS puts that choice's usual port (993 / 143) in
// the port field, unless the user typed a port of their own there.
(function () {
  "use strict";
  var security = document.getElementById("id_security");
  var port = document.getElementById("id_port");
  if (!security || !port) return;
  var usual = Array.prototype.map.call(security.options, function (option) {
    return option.getAttribute("data-usual-port");
  });
  var typed = false;
  port.addEventListener("input", function () {
    typed = port.value !== "" && usual.indexOf(port.value) < 0;
  });
  security.addEventListener("change", function () {
    var chosen = security.options[security.selectedIndex].getAttribute("data-usual-port");
    if (chosen && (!typed || port.value === "")) port.value = chosen;
  });
})();
