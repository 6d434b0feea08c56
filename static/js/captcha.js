// The captcha refresh button: fetch a new image in place, without reloading the page.
// Each fetch makes a new challenge on the server; the old answer stops working.
(function () {
  "use strict";

  var button = document.getElementById("btn_captcha");
  var image = document.getElementById("img_captcha");
  var input = document.getElementById("id_captcha");
  var status = document.getElementById("captcha_status");
  if (!button || !image) {
    return;
  }
  var objectUrl = null;

  function say(message) {
    if (status) {
      status.textContent = message;
    }
  }

  function refresh() {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    fetch(button.dataset.captchaUrl, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("captcha " + response.status);
        }
        return response.blob();
      })
      .then(function (blob) {
        var previous = objectUrl;
        objectUrl = URL.createObjectURL(blob);
        image.src = objectUrl;
        if (previous) {
          URL.revokeObjectURL(previous);
        }
        if (input) {
          input.value = "";
          input.focus();
        }
        say(button.dataset.loadedMessage);
      })
      .catch(function () {
        say(button.dataset.failedMessage);
      })
      .finally(function () {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
  }

  button.addEventListener("click", refresh);
})();
