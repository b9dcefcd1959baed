// Item view
// ---------
// One `<li class="item">` of the list. Read-only unless the step's API can
// edit (`editable`): then the title is edited in place (PUT), the checkbox
// toggles `done` (PATCH) and the delete button deletes (DELETE).

const {showFieldError, hideFieldError} = require('lib/field_error');
const View = require('views/base/view');

module.exports = View.extend({
  // Chaplin copies these options onto the view: `this.editable`.
  optionNames: View.prototype.optionNames.concat(['editable']),
  tagName: 'li',
  className: 'item',
  attributes() {
    return {'data-id': this.model.id};
  },
  // The title is the user's text: `templates/item.jst` always writes it with
  // `<%- %>` (escaped), never `<%= %>`, or a title such as
  // `<img src=x onerror=…>` would run.
  template: require('templates/item'),

  // Render again when the server has stored a change.
  listen: {
    'change model': 'render'
  },

  events: {
    'change .item-toggle': 'toggleDone',
    'dblclick .item-title': 'edit',
    'click .item-edit': 'edit',
    'keydown .item-title-input': 'editKeydown',
    'blur .item-title-input': 'saveTitle',
    'click .item-delete': 'delete'
  },

  getTemplateData() {
    return {
      title: this.model.get('title'),
      done: this.model.get('done'),
      createdAt: this.model.get('created_at'),
      createdText: this.model.createdText(),
      editable: this.editable
    };
  },

  // The `editing` class swaps the title for its input (see `app.css`).
  edit() {
    if (!this.editable) return;
    this.$el.addClass('editing');
    this.$('.item-title-input').trigger('focus');
  },

  // Enter saves (by leaving the input), Escape gives up.
  editKeydown(event) {
    if (event.key === 'Enter') {
      event.target.blur();
    } else if (event.key === 'Escape') {
      this.stopEditing();
      this.render();
    }
  },

  stopEditing() {
    this.$el.removeClass('editing');
    hideFieldError(this.$('.field-error'));
  },

  // Leaving the input saves the title: `save` PUTs the whole item (the server
  // ignores the fields it sets itself). `wait` keeps the old title until the
  // server agrees; if it refuses, the input stays with its message.
  saveTitle() {
    if (!this.$el.hasClass('editing')) return;
    const title = this.$('.item-title-input').val().trim();
    if (title === this.model.get('title')) {
      this.stopEditing();
      return;
    }
    this.model.save({title}, {
      wait: true,
      success: () => this.stopEditing(),
      error: (model, xhr) => this.showError(xhr)
    });
  },

  // Flip `done`: `patch` sends only `{"done": …}`, as a PATCH.
  toggleDone() {
    this.model.save({done: !this.model.get('done')}, {
      patch: true,
      wait: true,
      // Put the checkbox back as the server has it, then say why.
      error: (model, xhr) => {
        this.render();
        this.showError(xhr);
      }
    });
  },

  // DELETE the item; `wait` keeps it in the list until the server answers
  // (204, no body), then the collection drops it and the list view this view.
  delete() {
    this.model.destroy({
      wait: true,
      error: (model, xhr) => this.showError(xhr)
    });
  },

  showError(xhr) {
    showFieldError(this.$('.field-error'), xhr, 'title');
  }
});
