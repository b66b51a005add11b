"""The footer lets go of the keys it removes: moving through a lesson must not pile up dead FooterKeys."""

from __future__ import annotations

import asyncio
import gc

from textual.widgets._footer import FooterKey
from tui_helpers import make_app, open_first_lesson

from ce_tutor.tui.widgets.footer import TutorFooter

ROUNDS = 6  # each round: two steps forward, two back, so 24 step changes and as many footer recomposes
SLACK = 10  # a screen in the background may keep its last layout, which still holds its previous keys


def live_footer_keys() -> int:
    gc.collect()
    return sum(isinstance(obj, FooterKey) for obj in gc.get_objects())


def test_moving_through_steps_does_not_keep_removed_footer_keys(tmp_path):
    app = make_app(tmp_path)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            player = await open_first_lesson(pilot)
            assert player.query(TutorFooter)
            run = player.run
            for _ in range(ROUNDS):
                for key, index in (("n", 1), ("n", 2), ("p", 1), ("p", 0)):  # prose, plot, explorer and back
                    await pilot.press(key)
                    await pilot.pause()
                    assert run.index == index
            await pilot.pause()
            mounted = sum(len(screen.query(FooterKey)) for screen in app.screen_stack)
            assert mounted > 0
            live = live_footer_keys()
            assert live <= mounted + SLACK, f"{live} FooterKeys alive, {mounted} of them mounted"

    asyncio.run(main())
