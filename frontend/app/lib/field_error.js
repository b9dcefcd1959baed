// Field errors
// ------------
// The API refuses bad input with 400 or 422 and a JSON body naming the field:
//
//     {"error": "Invalid item", "fields": {"title": "Title is required."}}
//
// A form shows the field's own message next to it, in a `.field-error`
// element, or the general `error` when the field has none.

// The message for `field` in the failed request `xhr`.
function messageFor(xhr, field) {
  const body = xhr.responseJSON || {};
  const fields = body.fields || {};
  return fields[field] || body.error || `The server answered ${xhr.status || 'nothing'}.`;
}

// Show that message in `$error` (a `.field-error` element).
function showFieldError($error, xhr, field) {
  $error.text(messageFor(xhr, field)).prop('hidden', false);
}

// Hide `$error` again.
function hideFieldError($error) {
  $error.text('').prop('hidden', true);
}

module.exports = {showFieldError, hideFieldError};
