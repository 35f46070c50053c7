"""One State, one ``incr`` handler, one upload handler that only reads the files.

The baseline the portal is compared with in bench/: whatever the portal costs
on top of these is the portal's own.
"""

import reflex as rx


class State(rx.State):
    count: int = 0
    received: int = 0

    @rx.event
    def incr(self):
        self.count += 1

    @rx.event
    async def receive(self, files: list[rx.UploadFile]):
        """Read every uploaded file (as a handler that checks them would)."""
        total = 0
        for upload in files:
            total += len(await upload.read())
        self.received = total


def index() -> rx.Component:
    return rx.el.main(
        rx.el.h1("Bare Reflex"),
        rx.el.form(
            rx.el.label("Identifiant", html_for="identifiant"),
            rx.el.input(id="identifiant", name="identifiant"),
            rx.el.button("Valider", type="button", on_click=State.incr),
        ),
        rx.el.p(State.count),
        rx.upload.root(rx.el.p("Déposer des fichiers"), id="files"),
        rx.el.button("Envoyer", on_click=State.receive(rx.upload_files(upload_id="files"))),
    )


app = rx.App(reset_style=False, theme=None)
app.add_page(index, route="/")
