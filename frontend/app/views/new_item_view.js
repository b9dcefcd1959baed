// New item view
// -------------
// The form that adds an item: `collection.create` POSTs it; the server
// answers 201 with the stored item (`_id`, `done`, `created_at`, …), which
// then joins the top of the list.

const {showFieldError, hideFieldError} = require('lib/field_error');
const View = require('views/base/view');

module.exports = View.extend({
  tagName: 'form',
  id: 'new-item',
  template: require('templates/new_item'),

  events: {
    submit: 'create',
    'input input[name=title]': 'hideError'
  },

  // A request about another item (a toggle, a new title, a delete) means the
  // user has moved on: the form's last refusal no longer applies.
  listen: {
    'request collection': 'hideError'
  },

  // Send the new item. No check here: the server validates and says why it
  // refuses (an empty title gives 422 and a message next to the input).
  create(event) {
    event.preventDefault();
    this.collection.create({title: this.$('input[name=title]').val().trim()}, {
      // Add the item only once the server has stored it, at the top.
      wait: true,
      at: 0,
      // Render again for the next one: an empty input, no message.
      success: () => {
        this.render();
        this.$('input[name=title]').trigger('focus');
      },
      error: (model, xhr) => showFieldError(this.$('.field-error'), xhr, 'title')
    });
  },

  hideError() {
    hideFieldError(this.$('.field-error'));
  }
});
