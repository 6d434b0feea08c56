// The captcha buttons: fetch a new image in place, without reloading the page, and play the
// current challenge as speech.
// Each image fetch makes a new challenge on the server; the old answer stops working. The audio
// never makes one: it always reads out the challenge the image shows.
(function () {
  "use strict";

  var button = document.getElementById("btn_captcha");
  var audioButton = document.getElementById("btn_captcha_audio");
  var image = document.getElementById("img_captcha");
  var input = document.getElementById("id_captcha");
  var status = document.getElementById("captcha_status");
  // The row's data-* attributes: the addresses to fetch and the messages to announce.
  var data = button ? button.closest(".captcha-row").dataset : {};
  var objectUrl = null;
  var audioUrl = null;
  var player = null;

  function say(message) {
    if (status) {
      status.textContent = message;
    }
  }

  function busy(element, isBusy) {
    element.disabled = isBusy;
    if (isBusy) {
      element.setAttribute("aria-busy", "true");
    } else {
      element.removeAttribute("aria-busy");
    }
  }

  function refresh() {
    stopAudio(); // it was reading out the challenge the new image replaces
    busy(button, true);
    fetch(data.imageUrl, { cache: "no-store", credentials: "same-origin" })
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
        say(data.imageLoadedMessage);
      })
      .catch(function () {
        say(data.imageFailedMessage);
      })
      .finally(function () {
        busy(button, false);
      });
  }

  // The button's data-audio-state says where playback is ("loading", "playing", "ended",
  // "error"), for styling and for the browser tests.
  function audioState(state) {
    audioButton.dataset.audioState = state;
  }

  function stopAudio() {
    if (player) {
      player.pause();
      player = null;
    }
    if (audioUrl) {
      URL.revokeObjectURL(audioUrl);
      audioUrl = null;
    }
  }

  function playAudio() {
    stopAudio();
    busy(audioButton, true);
    audioState("loading");
    fetch(data.audioUrl, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          var error = new Error("captcha audio " + response.status);
          error.limited = response.status === 429;
          throw error;
        }
        return response.blob();
      })
      .then(function (blob) {
        audioUrl = URL.createObjectURL(blob);
        player = new Audio(audioUrl);
        player.addEventListener("playing", function () {
          audioState("playing");
          say(data.audioPlayingMessage);
        });
        player.addEventListener("ended", function () {
          audioState("ended");
        });
        player.addEventListener("error", function () {
          audioState("error");
          say(data.audioFailedMessage);
        });
        return player.play();
      })
      .catch(function (error) {
        audioState("error");
        say(error && error.limited
          ? data.audioLimitedMessage
          : data.audioFailedMessage);
      })
      .finally(function () {
        busy(audioButton, false);
      });
  }

  if (button && image) {
    button.addEventListener("click", refresh);
  }
  if (audioButton) {
    audioButton.addEventListener("click", playAudio);
  }
})();
