"""1:1 matching on the fixture photos: genuine pairs match at 0.45, impostors do not."""
from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import Image

from identity.face import engine, errors
from identity.face.images import load_image
from identity.face.matching import DEFAULT_THRESHOLD, MatchResult, compare, compare_async, encode_one, warm_up
from tests.paths import FACES

OBAMA = ["obama.jpg", "obama2.jpg", "obama3.jpg", "obama_partial_face.jpg"]
OTHERS = ["biden.jpg", "lin-manuel-miranda.png"]


def photo(name: str) -> bytes:
    return (FACES / name).read_bytes()


def test_warm_up_loads_the_library():
    assert warm_up() < 30


def test_default_threshold_is_stricter_than_the_library():
    assert DEFAULT_THRESHOLD == 0.45


@pytest.mark.parametrize("reference,selfie", list(itertools.combinations(OBAMA, 2)))
def test_same_person_matches(reference, selfie):
    result = compare(photo(reference), photo(selfie))
    assert isinstance(result, MatchResult)
    assert result.matched and result.distance <= 0.45 and result.threshold == 0.45


@pytest.mark.parametrize("reference,selfie", [(a, b) for a in OBAMA for b in OTHERS]
                         + [(b, a) for a in OBAMA[:1] for b in OTHERS] + [tuple(OTHERS)])
def test_different_people_do_not_match(reference, selfie):
    result = compare(photo(reference), photo(selfie))
    assert not result.matched and result.distance > 0.6  # not even at the library's default


def test_threshold_is_the_callers():
    loose = compare(photo("obama.jpg"), photo("obama2.jpg"), threshold=0.2)
    assert loose.threshold == 0.2 and not loose.matched


def test_selfie_without_a_face_is_refused():
    blank = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 160, 140)).save(blank, "JPEG")
    with pytest.raises(errors.NoFace) as caught:
        compare(photo("obama.jpg"), blank.getvalue())
    assert caught.value.status == 422 and caught.value.code == "no_face"


def test_selfie_with_two_faces_is_refused():
    with pytest.raises(errors.ManyFaces) as caught:
        compare(photo("obama.jpg"), photo("two_people.jpg"))
    assert caught.value.code == "many_faces"


def test_reference_with_several_faces_uses_the_largest():
    """An ID card's ghost portrait is smaller than its main photo: the largest face is the holder."""
    pixels = load_image(photo("two_people.jpg"))
    boxes = engine.detect(pixels)
    assert len(boxes) == 2
    largest = max(boxes, key=engine.area)
    expected = engine.encode(pixels, largest)
    assert np.allclose(encode_one(pixels, largest=True), expected)
    result = compare(photo("two_people.jpg"), photo("obama.jpg"))  # no error for the reference
    assert isinstance(result.distance, float)


def test_small_portrait_is_found_by_the_upsampled_retry():
    """An ID card photographed from arm's length: the portrait is small in a large frame."""
    face = Image.open(FACES / "obama.jpg").convert("RGB")
    face.thumbnail((300, 300))
    card = Image.new("RGB", (2400, 1500), (230, 230, 225))
    card.paste(face, (1900, 200))
    data = io.BytesIO()
    card.save(data, "JPEG", quality=90)
    result = compare(data.getvalue(), photo("obama2.jpg"))
    assert result.matched, result


async def test_compare_async_runs_in_a_thread():
    result = await compare_async(photo("obama.jpg"), photo("obama3.jpg"))
    assert result.matched


def test_threads_get_the_same_answers_as_one_thread():
    """dlib's detector and encoder keep scratch state: each thread has its own."""
    from concurrent.futures import ThreadPoolExecutor

    pairs = [("obama.jpg", "obama2.jpg"), ("obama.jpg", "biden.jpg"), ("obama3.jpg", "lin-manuel-miranda.png")] * 2
    sequential = [compare(photo(a), photo(b)).distance for a, b in pairs]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda pair: compare(photo(pair[0]), photo(pair[1])).distance, pairs))
    assert parallel == sequential
