// Field errors
// ------------
// The API refuses bad input with 400 or 422 and a JSON body naming the field:
//
//     {"error": "The item is not valid.",
//      "fields": {"title": "The title needs 1 to 200 characters."}}
//
// A form shows the field's own message next to it, in a `.field-error`
// element, or the general `error` when the field has none (404: `{"error":
// "No such item."}`).

function messageFor(xhr, field) {
  const body = xhr.responseJSON || {};
  const fields = body.fields || {};
  // No JSON at all when the server cannot be reached (status 0).
  return fields[field] || body.error || `The server answered ${xhr.status || 'nothing'}.`;
}

function showFieldError($error, xhr, field) {
  $error.text(messageFor(xhr, field)).prop('hidden', false);
}

function hideFieldError($error) {
  $error.text('').prop('hidden', true);
}

module.exports = {showFieldError, hideFieldError};
