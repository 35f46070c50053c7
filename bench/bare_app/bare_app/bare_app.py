"""One State, one ``incr`` handler, one upload handler that only reads the files.

The baseline the portal is compared with in bench/: whatever the portal costs
on top of these is the portal's own.
"""

import os

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


# Optional: BARE_EXTRA_STATES=N adds N states of six vars, each with a page of its
# own, so the bare app has the size of the portal's runtime (state tree, routes)
# without its pages (bench/README.md, « Goal 4 — where the time goes »). Default 0:
# the one-state baseline every ratio of the issue is measured against.
for _n in range(int(os.environ.get("BARE_EXTRA_STATES", "0"))):
    _extra = type(f"Extra{_n}", (rx.State,), {
        "__annotations__": {"a": str, "b": int, "c": bool, "d": list[str], "e": str, "f": str},
        "a": "", "b": 0, "c": False, "d": [], "e": "", "f": "",
        "__module__": __name__,
    })
    globals()[_extra.__name__] = _extra

    def _extra_page(state=_extra) -> rx.Component:
        return rx.el.main(rx.el.p(state.a), rx.el.p(state.b), rx.el.p(state.e))

    app.add_page(_extra_page, route=f"/extra{_n}")
