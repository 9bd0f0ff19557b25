// Passkeys (WebAuthn) on the broker's pages: a form marked data-passkey="create" or "get" carries the
// options issued by the server (data-options, JSON with base64url bytes). Its button asks the browser
// for the passkey, puts the answer in the hidden field "credential" and posts the form as usual.
"use strict";
(function () {
  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decoded(options) {
    options.challenge = toBytes(options.challenge);
    if (options.user) options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || options.allowCredentials || []).forEach(function (c) {
      c.id = toBytes(c.id);
    });
    return options;
  }

  function encoded(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) response.userHandle = toText(r.userHandle);
    }
    return JSON.stringify({
      id: credential.id, rawId: toText(credential.rawId), type: credential.type, response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined
    });
  }

  function prepare(form) {
    var status = form.querySelector("[data-passkey-status]");
    var button = form.querySelector("button");
    function say(text) {
      status.textContent = text;
      status.hidden = false;
    }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say("Этот браузер не поддерживает ключи доступа. Выберите другой способ или откройте страницу в современном браузере.");
      button.disabled = true;
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var mode = form.getAttribute("data-passkey");
      var options = decoded(JSON.parse(form.getAttribute("data-options")));
      var asked = mode === "create"
        ? navigator.credentials.create({ publicKey: options })
        : navigator.credentials.get({ publicKey: options });
      button.disabled = true;
      asked.then(function (credential) {
        form.elements.credential.value = encoded(credential);
        form.submit();
      }, function () {
        button.disabled = false;
        say("Ключ доступа не подтверждён: действие отменено или время ожидания истекло. Нажмите кнопку ещё раз.");
      });
    });
  }

  document.querySelectorAll("form[data-passkey]").forEach(prepare);
})();
