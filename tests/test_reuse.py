"""What serve keeps between builds: results found again by the identity of their inputs, digests by value."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from sitegen.fingerprint import Digests
from sitegen.records import record
from sitegen.reuse import Reuse
from tests.conftest import served_site


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    size: int


def test_a_result_is_kept_while_its_inputs_are_the_same() -> None:
    reuse, made = Reuse(), []
    first, second, other = Item("a", 1), Item("a", 1), Item("a", 2)

    def make(item: Item) -> str:
        made.append(item)
        return f"{item.name}{item.size}"

    assert reuse.get("k", (first,), make, first) == "a1"
    reuse.turn()
    assert reuse.get("k", (first,), make, first) == "a1" and made == [first]  # found again
    reuse.turn()
    assert reuse.get("k", (second,), make, second) == "a1" and made == [first]  # equal inputs are as good
    reuse.turn()
    assert reuse.get("k", (other,), make, other) == "a2" and made == [first, other]
    reuse.turn()
    reuse.turn()  # a build that did not use it: forgotten
    assert reuse.known("k", (other,)) is None


def test_same_hands_back_the_last_builds_object_when_equal() -> None:
    reuse = Reuse()
    first = (Item("a", 1),)
    assert reuse.same("list", first) is first
    reuse.turn()
    assert reuse.same("list", (Item("a", 1),)) is first
    reuse.turn()
    changed = (Item("a", 2),)
    assert reuse.same("list", changed) is changed


def test_keep_records_what_a_worker_made() -> None:
    reuse, item = Reuse(), Item("b", 2)
    reuse.keep("fingerprint", (item,), "abc")
    reuse.turn()
    assert reuse.known("fingerprint", (item,)) == "abc"
    assert reuse.known("fingerprint", (Item("b", 3),)) is None


class Counted:
    """A value whose repr counts how often it is written out."""

    def __init__(self) -> None:
        self.calls = 0

    def __repr__(self) -> str:
        self.calls += 1
        return "Counted()"


def test_a_digest_is_made_once_per_object_across_builds() -> None:
    digests, value = Digests(), Counted()
    first = digests.of(value)
    digests.turn()
    assert digests.of(value) == first and value.calls == 1
    digests.turn()
    digests.turn()
    assert digests.of(value) == first and value.calls == 2  # forgotten after a build that did not use it


def test_a_list_or_dict_is_digested_from_what_it_holds_and_not_kept() -> None:
    """A page's trail and sharing image are a list and a dict made for that page: kept by their identity,
    each render worker held thousands until its end (4 MB at 10,000 pages), to no use."""
    import sys

    digests = Digests()
    trail, image = [Item("a", 1)], {"url": Item("b", 2)}
    for value, change in ((trail, lambda: trail.append(Item("c", 3))), (image, lambda: image.update(width=3))):
        references = sys.getrefcount(value)
        before = digests.of(value)
        assert sys.getrefcount(value) == references  # not kept
        change()
        assert digests.of(value) != before  # what it holds now
    record = Item("d", 4)
    references = sys.getrefcount(record)
    digests.of(record)
    assert sys.getrefcount(record) == references + 1  # a record is kept, to be found again next build


items = st.builds(Item, st.text(max_size=5), st.integers(-3, 3))
values = st.one_of(items, st.tuples(items), st.lists(items, max_size=4).map(tuple),
                   st.dictionaries(st.text(max_size=3), items, max_size=3), st.text(max_size=5), st.none())


@given(values, values)
def test_digests_are_equal_exactly_when_values_are(a: object, b: object) -> None:
    digests = Digests()
    assert (digests.of(a) == digests.of(b)) == (type(a) is type(b) and a == b)


@given(st.lists(items, min_size=2, max_size=5).map(tuple), st.integers(0, 4))
def test_a_tuple_of_records_changes_when_one_of_them_does(records: tuple[Item, ...], index: int) -> None:
    digests = Digests()
    before = digests.of(records)
    index %= len(records)
    changed = (*records[:index], Item(records[index].name + "x", records[index].size), *records[index + 1:])
    assert digests.of(changed) != before
    assert Digests().of(records) == before  # the same value, another process: the same digest


@given(st.lists(st.tuples(st.lists(st.sampled_from(range(6)), min_size=1, max_size=8),
                          st.sampled_from(range(6)), st.booleans()), min_size=1, max_size=5))
def test_a_tuple_of_records_digested_across_builds_is_digested_as_a_new_one(
        builds: list[tuple[list[int], int, bool]]) -> None:
    """serve digests a list of postings on every save from the digests it kept of each posting: the same digest
    as a process that never saw them, as posting objects come and go."""
    pool: list[Any] = [Card(str(n), n) for n in range(6)]
    digests = Digests()
    for picked, replaced, plain in builds:
        value = tuple(pool[n] for n in picked) + (("text", None) if plain else ())
        # a tuple of records is digested from its items' digests: equal exactly when the tuples are equal
        expected = hashlib.sha256(f"({','.join(map(digest_of, value))})".encode()).hexdigest()
        assert digests.of(value) == expected == Digests().of(value)
        assert digests.of(value) == expected  # (found again in the same build)
        digests.turn()
        pool[replaced] = Card(f"{replaced}!", replaced)  # another object in its place next time


@record
class Card:
    name: str
    size: int


def digest_of(value: object) -> str:
    """A value's digest as `Digests` makes it, from its text: a record's `repr`, or the text of a plain value."""
    return repr(value) if value is None or isinstance(value, str) else hashlib.sha256(repr(value).encode()).hexdigest()


def test_a_link_checked_fine_before_is_checked_again_when_its_target_goes(make_project) -> None:
    """serve skips the links of unchanged texts only while every page they may lead to is still there."""
    from sitegen.pipeline import BuildCache, compile_site
    from sitegen.sources import read_project
    from tests.conftest import TEST_DAY

    root = make_project()
    home = root / "content/pages/home.en.md"
    home.write_text(home.read_text("utf-8") + "\nSee [the team](/en/team/).\n", "utf-8")
    cache = BuildCache()
    first = compile_site(read_project(root), None, cache, today=TEST_DAY)
    assert first.ok, first.problems
    assert compile_site(read_project(root), None, cache, today=TEST_DAY).ok  # found again: fine
    (root / "content/pages/team.en.md").unlink()
    (root / "content/pages/team.fr.md").unlink()
    third = compile_site(read_project(root), None, cache, today=TEST_DAY)
    assert any(p.path == "content/pages/home.en.md" and "leads nowhere" in p.message for p in third.problems)


def test_each_makes_only_the_results_of_new_items() -> None:
    reuse, made = Reuse(), []

    def make(item: Item, note: str = "") -> str:
        made.append(item)
        return f"{item.name}{item.size}{note}"

    first, second = Item("a", 1), Item("b", 2)
    assert reuse.each("k", ("config",), [first, second], make) == ["a1", "b2"]
    reuse.turn()
    third = Item("c", 3)
    assert reuse.each("k", ("config",), [second, third, first], make) == ["b2", "c3", "a1"]
    assert made == [first, second, third]  # only the new item was made
    reuse.turn()
    assert reuse.each("k", ("other config",), [first], make) == ["a1"] and made[-1] is first  # a new context
    reuse.turn()
    equal = Item("a", 1)
    assert reuse.each("k", ("other config",), [equal], make) == ["a1"] and made[-1] is equal  # identity, not equality
    reuse.turn()
    note = "!"
    assert reuse.each("k", ("other config",), [equal], make, [note]) == ["a1!"]
    reuse.turn()
    assert reuse.each("k", ("other config",), [equal], make, [note]) == ["a1!"] and len(made) == 6  # kept
    assert reuse.each("k", ("other config",), [equal], make, ["?"]) == ["a1?"] and len(made) == 7  # another beside


def test_keep_each_records_what_changed_for_an_item_found_again() -> None:
    reuse, first, second = Reuse(), Item("a", 1), Item("b", 2)
    reuse.keep_each("k", (), [first, second], [False, False])
    reuse.turn()
    found = reuse.found("k", (), [first, second])
    assert found == [False, False]
    reuse.keep_each("k", (), [first, second], [True, False], found=found)  # checked again: now fine
    reuse.turn()
    assert reuse.found("k", (), [first, second]) == [True, False]
    assert reuse.found("k", ("another context",), [first, second]) == [None, None]


@given(st.lists(st.lists(st.sampled_from(range(6)), max_size=8), min_size=1, max_size=5))
def test_each_gives_what_making_every_result_gives(builds: list[list[int]]) -> None:
    pool = [Item(str(n), n) for n in range(6)]
    reuse = Reuse()
    for build in builds:
        items = [pool[n] for n in build]
        assert reuse.each("k", (), items, lambda item: (item.name, item.size)) == [(i.name, i.size) for i in items]
        reuse.turn()
        pool[build[0] if build else 0] = Item("changed", 9)  # the next build has a new object in its place


@given(st.lists(st.lists(st.tuples(st.sampled_from(range(5)), st.sampled_from(["same", "equal", "other"])),
                         max_size=8), min_size=1, max_size=4))
def test_found_takes_a_result_for_the_very_item_beside_an_equal_object(builds: list[list[tuple[int, str]]]) -> None:
    """What `found` takes for each item is what a look at each gives: the result kept for that very
    item object, when the object beside it is the one kept beside it or an equal one."""
    pool = [Item(str(n), n) for n in range(5)]
    beside_of: dict[int, list[int]] = {}  # the object each item was last kept beside
    reuse = Reuse()
    for build in builds:
        items = [pool[n] for n, _ in build]
        beside = [beside_of.get(n, [n]) if how == "same" else list(beside_of.get(n, [n])) if how == "equal" else [n, 0]
                  for n, how in build]
        expected = []
        kept = reuse.known("k", ())
        for item, other in zip(items, beside, strict=True):
            entry = kept[0].get(id(item)) if kept is not None else None
            expected.append(entry[2] if entry is not None and (entry[1] is other or entry[1] == other) else None)
        assert reuse.found("k", (), items, beside) == expected
        reuse.keep_each("k", (), items, [(item.name, other) for item, other in zip(items, beside, strict=True)], beside)
        for (n, _), other in zip(build, beside, strict=True):
            beside_of[n] = other
        reuse.turn()


def test_a_one_off_build_keeps_nothing() -> None:
    reuse, item = Reuse(remember=False), Item("c", 3)
    assert reuse.get("k", (item,), str, item) == str(item)
    reuse.keep("fingerprint", (item,), "abc")
    assert reuse.same("list", (item,)) == (item,)
    reuse.turn()
    assert reuse.known("k", (item,)) is None and reuse.known("fingerprint", (item,)) is None


def render_counter() -> tuple[list[int], Callable[[], int]]:
    """Return a list that grows by one at each call of the function returned (which returns its length):
    a template that calls it in a block tells how many times the block was rendered."""
    rendered: list[int] = []

    def count() -> int:
        rendered.append(1)
        return len(rendered)

    return rendered, count


ENVIRONMENTS = ("jinja2", "loops")  # Jinja's own environment; ours, whose loops of cached blocks are kept whole


def environment(kind: str, **options: Any) -> Any:
    import jinja2

    from sitegen.fragments import CachedBlocks, LoopEnvironment

    return (LoopEnvironment if kind == "loops" else jinja2.Environment)(extensions=[CachedBlocks], autoescape=True,
                                                                       **options)


@pytest.mark.parametrize("kind", ENVIRONMENTS)
def test_a_cached_block_is_kept_for_its_key_and_scope_and_the_values_it_names(kind: str) -> None:
    from sitegen.fragments import SCOPE, keep_blocks

    env = environment(kind)
    template = env.from_string("{% for item in items %}{% cached item %}[{{ item.name }}{{ mark }}{{ count() }}]"
                               "{% endcached %}{% endfor %}")
    _, count = render_counter()

    first, second = Item("a", 1), Item("b", 2)
    page = {"items": [first, second], "mark": "!", "count": count, SCOPE: ("digest", "en")}
    assert template.render(page) == "[a!1][b!2]"  # not kept anywhere: rendered
    reuse = Reuse()
    keep_blocks(env, reuse)
    assert template.render(page) == "[a!3][b!4]"
    reuse.turn()
    assert template.render(page) == "[a!3][b!4]"  # kept: the blocks were not rendered again
    reuse.turn()
    assert template.render({**page, "items": [first, Item("b", 3)]}) == "[a!3][b!5]"  # another key: rendered
    reuse.turn()
    assert template.render({**page, "mark": "?"}) == "[a?6][b?7]"  # a value the block names changed
    reuse.turn()
    assert template.render({**page, "mark": "?", SCOPE: ("digest", "fr")}) == "[a?8][b?9]"  # another language
    assert template.render({key: value for key, value in page.items() if key != SCOPE}) == "[a!10][b!11]"
    marked = {**page, "items": [Item("<i>", 1)], "mark": "&"}
    reuse.turn()
    assert template.render(marked) == "[&lt;i&gt;&amp;12]"  # escaped once when rendered,
    reuse.turn()
    assert template.render(marked) == "[&lt;i&gt;&amp;12]"  # and kept as it was: neither raw nor escaped twice


@pytest.mark.parametrize("kind", ENVIRONMENTS)
def test_a_cached_block_may_set_names_test_undefined_ones_and_hold_another_on_its_line(kind: str) -> None:
    import jinja2

    from sitegen.fragments import SCOPE, keep_blocks

    env = environment(kind, undefined=jinja2.StrictUndefined)
    template = env.from_string(
        "{% for item in items %}{% cached item %}{% set shown = item.name | upper %}<{{ shown }}"
        "{% if extra is defined %}{{ extra }}{% endif %}"
        "{% cached item.size %}({{ item.size }}{{ count() }}){% endcached %}>{% endcached %}{% endfor %}")
    _, count = render_counter()

    page = {"items": [Item("a", 1), Item("b", 2)], "count": count, SCOPE: ("digest", "en")}
    reuse = Reuse()
    keep_blocks(env, reuse)
    assert template.render(page) == "<A(11)><B(22)>"
    reuse.turn()
    assert template.render(page) == "<A(11)><B(22)>"  # both kept, the inner blocks with the outer ones
    reuse.turn()
    assert template.render({**page, "extra": "!"}) == "<A!(13)><B!(24)>"  # a value the outer blocks name
    assert "<script>" not in template.render({**page, "extra": "<script>"})  # kept or not, output is escaped


LOOPS = [  # loops of cached blocks, and loops around them that are not kept whole
    "{% for item in items %}{% cached item %}[{{ item.name }}{{ mark }}]{% endcached %}{% endfor %}",
    "<ul>{% for item in items %}\n<li>{% cached item %}{{ item.name }}{% endcached %}</li>{% endfor %}</ul>",
    "{% for item in items %}{% cached item %}{{ loop.index }}{{ item.name }}{% endcached %}{% endfor %}",
    "{% for item in items if item.size %}{% cached item %}{{ item.name }}{% endcached %}{% endfor %}",
    "{% for item in items %}{% cached item %}{{ item.name }}{% endcached %}{% else %}none{% endfor %}",
    "{% for item in items %}{% cached item.size %}{{ item.size }}{% endcached %}{% endfor %}",
    "{% for item in items %}{% set x = 1 %}{% cached item %}{{ item.name }}{% endcached %}{% endfor %}",
    "{% for row in rows %}({% for item in row %}{% cached item %}{{ item.name }}{{ mark }}{% endcached %}"
    "{% endfor %}){% endfor %}",
]


@given(st.lists(st.tuples(st.lists(st.integers(0, 5), max_size=6), st.sampled_from("!?"), st.booleans()),
                min_size=1, max_size=6))
def test_loops_of_cached_blocks_kept_whole_render_as_jinja_renders_them(builds: list[tuple[list[int], str, bool]]
                                                                      ) -> None:
    """Build after build (items added, removed, replaced by equal or other ones, another value named, the
    scope gone), each loop renders in our environment what it renders in Jinja's, kept or not."""
    import jinja2

    from sitegen.fragments import SCOPE, keep_blocks

    envs = {kind: environment(kind) for kind in ENVIRONMENTS}
    reuses = {kind: Reuse() for kind in ENVIRONMENTS}
    for kind, env in envs.items():
        keep_blocks(env, reuses[kind])
    for env in envs.values():  # each template its name: a block's place is its template's and its line
        env.loader = jinja2.DictLoader({str(index): source for index, source in enumerate(LOOPS)})
    templates = {kind: [env.get_template(str(index)) for index in range(len(LOOPS))] for kind, env in envs.items()}
    pool = [Item(str(n), n % 3) for n in range(6)]
    for numbers, mark, scoped in builds:
        items = [pool[n] for n in numbers]
        page = {"items": items, "rows": [items, items[::-1]], "mark": mark, **({SCOPE: ("d", "en")} if scoped else {})}
        for index in range(len(LOOPS)):
            assert templates["loops"][index].render(page) == templates["jinja2"][index].render(page), LOOPS[index]
        for reuse in reuses.values():
            reuse.turn()
        if numbers:
            pool[numbers[0]] = Item(pool[numbers[0]].name, pool[numbers[0]].size + 1)  # another object, another value
        if len(numbers) > 1:
            pool[numbers[1]] = Item(pool[numbers[1]].name, pool[numbers[1]].size)  # another object, an equal value


def test_only_a_loop_whose_body_is_one_cached_block_of_its_item_is_kept_whole() -> None:
    """The loop is rewritten into one look-up only where the body is the block (and text): not for a body
    that reads `loop`, has a filter or `else`, sets a name, or keys its block by something else."""
    kept_whole = [any(name.startswith("__cached_loop_") for name in environment("loops").parse(source)
                      .find_all(jinja2_nodes().Name) for name in [name.name]) for source in LOOPS]
    assert kept_whole == [True, True, False, False, False, False, False, True]


def jinja2_nodes() -> Any:
    from jinja2 import nodes

    return nodes


def test_a_loop_kept_whole_renders_only_the_items_it_lacks() -> None:
    from sitegen.fragments import SCOPE, keep_blocks

    env = environment("loops")
    template = env.from_string("{% for item in items %}{% cached item %}[{{ item.name }}{{ count() }}]"
                               "{% endcached %}{% endfor %}")
    rendered, count = render_counter()

    reuse, items = Reuse(), [Item(str(n), n) for n in range(4)]
    keep_blocks(env, reuse)
    page = {"items": items, "count": count, SCOPE: ("digest", "en")}
    assert template.render(page) == "[01][12][23][34]"
    reuse.turn()
    items[2] = Item("x", 9)
    assert template.render(page) == "[01][12][x5][34]"  # one card rendered
    reuse.turn()
    assert template.render({**page, "items": items[::-1]}) == "[34][x5][12][01]"  # reordered: none rendered
    reuse.turn()
    assert template.render(page) == "[01][12][x5][34]" and len(rendered) == 5


def test_a_loop_kept_whole_keeps_the_cards_of_every_page_that_shows_it_and_forgets_replaced_ones() -> None:
    """Two pages list other items at one place (a partial both include), or a page in each language does:
    neither renders the other's cards again; items replaced save after save are forgotten once the loop has
    been joined often enough."""
    from sitegen.fragments import KEPT_JOINS, SCOPE, carry_loops, keep_blocks

    env = environment("loops")
    template = env.from_string("{% for item in items %}{% cached item %}[{{ item.name }}{{ count() }}]"
                               "{% endcached %}{% endfor %}")
    rendered, count = render_counter()

    reuse = Reuse()
    keep_blocks(env, reuse)
    one, other = [Item(str(n), n) for n in range(3)], [Item(f"o{n}", n) for n in range(2)]
    page = {"count": count, SCOPE: ("digest", "en")}
    for _ in range(3):
        template.render({**page, "items": one})
        template.render({**page, "items": other})
        reuse.turn()
    assert len(rendered) == 5  # each card once
    french = [Item(f"fr{n}", n) for n in range(3)]
    for _ in range(2):  # each language's page: the French one, then the English one alone (a save of a text)
        template.render({**page, SCOPE: ("digest", "fr"), "items": french})
        carry_loops(reuse, "digest")  # as the render stage does: the page it kept keeps its cards
        reuse.turn()
        template.render({**page, "items": one})
        carry_loops(reuse, "digest")
        reuse.turn()
    assert len(rendered) == 8  # the French cards once, the English ones not again
    for n in range(3 * KEPT_JOINS):
        one[0] = Item("changed", n)
        assert template.render({**page, "items": one}).startswith(f"[changed{len(rendered)}]")
        reuse.turn()  # the French page's loop is not carried: as after a template edit, it goes
    kept = [value for key, (_, value) in reuse._previous.items() if key[0] == "cached loop"]
    assert len(kept) == 1 and len(kept[0][1]) <= len(one) + len(other) + KEPT_JOINS  # the French page's went too


def test_pages_with_kept_blocks_render_in_this_process(make_project, monkeypatch) -> None:
    """serve renders the pages that reach a `cached` block (the job lists) itself, where the blocks are kept;
    a one-off build sends every page to the workers."""
    from sitegen import render
    from sitegen.pipeline import BuildCache, compile_site
    from sitegen.sources import read_project
    from tests.conftest import TEST_DAY

    sent: list[str] = []
    real = render.iter_chunks

    def spy(task, context, items, jobs, **kwargs):
        sent.extend(page.dest_path for page, _ in items)
        return real(task, context, items, jobs, **kwargs)

    monkeypatch.setattr(render, "iter_chunks", spy)
    project = read_project(make_project())
    assert compile_site(project, None, BuildCache(), today=TEST_DAY).ok
    assert "en/index.html" not in sent and "en/jobs/data-intern/index.html" in sent
    sent.clear()
    assert compile_site(project, None, BuildCache(reuse=Reuse(remember=False)), today=TEST_DAY).ok
    assert "en/index.html" in sent


def test_serve_started_on_an_earlier_preview_keeps_the_job_lists_blocks_from_its_first_build(tmp_path,
                                                                                             monkeypatch) -> None:
    """A new serve keeps the pages an earlier one left; its first build still renders the job lists (the
    same bytes), so that the first save renders the card of the posting it changed, not every card."""
    from bench.site import make_site
    from sitegen import fragments
    from sitegen.serve import Preview, make_rebuilder

    root, preview = tmp_path / "site", Preview(tmp_path / "preview")
    root.mkdir()
    make_site(root, 6)
    assert make_rebuilder(root, preview, "http://127.0.0.1:8000/", lambda result, _: None)(None).ok
    rebuild = make_rebuilder(root, preview, "http://127.0.0.1:8000/", lambda result, _: None)  # another serve
    assert rebuild(None).ok
    rendered: list[int] = []
    real, joined = fragments.Missed.keep, fragments.LoopPlan.join

    def counting(self, output):  # type: ignore[no-untyped-def]
        if self.key[1] == "_partials/job_list.html":  # (the posting's page renders its people and steps too)
            rendered.append(1)
        return real(self, output)

    monkeypatch.setattr(fragments.Missed, "keep", counting)  # a card on its own
    monkeypatch.setattr(fragments.LoopPlan, "join", lambda plan, one: rendered.extend(
        [1] * plan.outputs.count(None)) or joined(plan, one))  # a loop's cards (the job list's)
    text = root / "content/jobs/posting-00001.en.md"
    text.write_text(text.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert rebuild({str(text)}).ok
    assert len(rendered) == 1  # the English list's card of that posting


def test_a_save_makes_only_its_languages_feed_and_only_the_changed_entry(tmp_path, monkeypatch) -> None:
    """serve patches the last feeds after a text save: the entry of the posting it changed is made, no other,
    and no feed is made whole."""
    from sitegen import feeds

    root, rebuild = served_site(tmp_path, 6)
    made_feeds: list[str] = []
    made_entries: list[str] = []
    real_feed, real_entry = feeds._feed, feeds._entry
    monkeypatch.setattr(feeds, "_feed", lambda site, lang, *rest: made_feeds.append(lang) or real_feed(site, lang,
                                                                                                     *rest))
    monkeypatch.setattr(feeds, "_entry", lambda site, posting, *rest: made_entries.append(posting.lang) or
                        real_entry(site, posting, *rest))
    for name, lang in (("posting-00001.en.md", "en"), ("posting-00002.fr.md", "fr"), ("posting-00003.fr.md", "fr")):
        text = root / "content/jobs" / name
        text.write_text(text.read_text("utf-8") + "\nOne more line.\n", "utf-8")
        assert rebuild({str(text)}).ok
        assert (made_feeds, made_entries) == ([], [lang]), name
        made_feeds.clear()
        made_entries.clear()


@record
class Holder:
    value: Any


def test_a_tuple_of_records_found_as_it_was_keeps_its_items_digests_for_the_next_build() -> None:
    """serve digests each language's postings on every save: a save in the other language finds this one's as
    they were, and the save after it, back in this language, makes the tuple anew with one posting changed:
    only that one is digested from its text (all 5,000 were, in 200 ms, when the tuple kept its own digest only)."""
    counted = [Counted() for _ in range(20)]
    postings = tuple(Holder(value) for value in counted)
    digests = Digests()
    for _ in range(3):  # a save in this language, then two in the other
        digests.of(postings)
        digests.turn()
    changed = (*postings[:-1], Holder(Counted()))
    digest = digests.of(changed)
    assert [value.calls for value in counted] == [1] * 20
    assert digest == Digests().of(changed)
    digests.turn()
    digests.turn()
    digests.of(changed)
    assert changed[-1].value.calls == 3  # (forgotten after a build that used neither the tuple nor its items)


@pytest.mark.parametrize("kind", ENVIRONMENTS)
def test_a_one_off_build_renders_a_cached_block_once_for_the_same_key_and_values(kind: str) -> None:
    """Outside serve, a process keeps each block's last output (`Memo`): found again for the very same key and
    equal values, in the same language; one output a block, so that a list of cards keeps one card."""
    from sitegen.fragments import SCOPE, Memo, memo_blocks

    env = environment(kind)
    template = env.from_string("{% cached people %}[{% for p in people %}{{ p.name }}{% endfor %}{{ mark }}"
                               "{{ count() }}]{% endcached %}")
    _, count = render_counter()
    team = (Item("a", 1), Item("b", 2))
    page = {"people": team, "mark": "!", "count": count, SCOPE: ("digest", "en")}
    assert template.render(page) == "[ab!1]"  # no memo: rendered
    memo_blocks(env, Memo())
    assert template.render(page) == "[ab!2]"
    assert template.render(page) == "[ab!2]"  # the same tuple, the same values: kept
    equal = {**page, "people": (Item("a", 1), Item("b", 2))}
    assert template.render(equal) == "[ab!3]"  # an equal tuple, another object: rendered
    assert template.render(equal) == "[ab!3]"
    assert template.render(page) == "[ab!4]"  # (one output a block: the last key's)
    assert template.render({**page, "mark": "?"}) == "[ab?5]"  # a value the block names
    assert template.render({**page, SCOPE: ("digest", "fr")}) == "[ab!6]"  # another language
    assert template.render({**page, SCOPE: ("other digest", "en")}) == "[ab!7]"  # other templates or strings
    cards = env.from_string("{% for item in items %}{% cached item %}[{{ item.name }}{{ count() }}]{% endcached %}"
                            "{% endfor %}")
    items = {"items": [Item("x", 1), Item("y", 2)], "count": count, SCOPE: ("digest", "en")}
    assert cards.render(items) == "[x8][y9]"
    assert cards.render(items) == "[x10][y11]"  # each its own key: rendered every time, one kept at a time
    memo_blocks(env, None)
    assert template.render(page) == "[ab!12]"


def test_a_one_off_build_renders_the_people_and_steps_of_postings_once_a_language(tmp_path, monkeypatch) -> None:
    """A posting page's people and steps are cached blocks keyed by the posting's tuples, which postings that name
    the same people and steps share: one process renders each once a language, and the site is byte for byte
    the site rendered with every block made."""
    from bench.site import make_site as make_generated_site
    from sitegen import fragments
    from sitegen.pipeline import BuildCache, build
    from tests.conftest import tree

    root = tmp_path / "site"
    root.mkdir()
    make_generated_site(root, 6)
    looked: list[tuple[str, bool]] = []
    real = fragments.Memo.known

    def spied(memo: Any, block: Any, values: Any) -> Any:
        found = real(memo, block, values)
        looked.append((block[0], found is not None))
        return found

    monkeypatch.setattr(fragments.Memo, "known", spied)
    assert build(root, tmp_path / "kept", cache=BuildCache(reuse=Reuse(remember=False), jobs=1)).ok
    posting_blocks = [found for template, found in looked if template == "posting.html"]
    assert len(posting_blocks) == 2 * 12 and posting_blocks.count(False) == 2 * 2  # (two blocks, two languages)
    monkeypatch.setattr(fragments.Memo, "known", lambda *args: None)
    assert build(root, tmp_path / "made", cache=BuildCache(reuse=Reuse(remember=False), jobs=1)).ok
    assert tree(tmp_path / "kept") == tree(tmp_path / "made")


def test_a_posting_page_takes_the_people_and_steps_it_shows_typeset_once(tmp_path, monkeypatch) -> None:
    """A one-off build's posting page gives its typesetting the cached blocks it shows (its people and steps, in
    its language) beside its text: each is typeset once for every page that shows it, and the site is byte for
    byte the site whose pages are typeset whole."""
    from bench.site import make_site as make_generated_site
    from sitegen import typography
    from sitegen.pipeline import BuildCache, build
    from tests.conftest import tree

    root = tmp_path / "site"
    root.mkdir()
    make_generated_site(root, 3)
    given: list[list[tuple[str, str]]] = []
    real = typography._around

    def spied(html: str, known: Any, last_ruled: int) -> Any:
        given.append(list(known))
        return real(html, known, last_ruled)

    monkeypatch.setattr(typography, "_around", spied)
    assert build(root, tmp_path / "taken", cache=BuildCache(reuse=Reuse(remember=False), jobs=1)).ok
    pages = [known for known in given if len(known) > 1]  # (a description is given its text alone)
    assert len(pages) == 3  # the French posting pages (an English one has no French text for the pass)
    for known in pages:
        assert [lang for _, lang in known] == ["fr", "fr", "fr"]
        assert [BeautifulSoup(fragment, "html.parser").find().get("aria-labelledby") for fragment, _ in known[1:]] \
            == ["people-heading", "process-heading"]
        assert all(typography._typeset_closed(fragment, "fr") is not None for fragment, _ in known)
    monkeypatch.setattr(typography, "_around", lambda *args: None)
    assert build(root, tmp_path / "whole", cache=BuildCache(reuse=Reuse(remember=False), jobs=1)).ok
    assert tree(tmp_path / "taken") == tree(tmp_path / "whole")
