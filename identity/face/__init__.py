"""Face verification (人脸核验): image intake, 1:1 matching, challenge liveness, lockout policy.

Plain Python, no web or database imports. ``images`` checks and decodes uploads in memory;
``matching`` compares a selfie with a reference portrait; ``liveness`` judges a blink / turn
challenge over a few frames; ``lockout`` is the failure policy (the caller stores its state);
``verifier`` puts them together behind the ``FaceVerifier`` interface. face_recognition is
imported lazily (``engine.warm_up()`` at start-up). See docs/FACE.md.
"""
from identity.face.engine import warm_up

__all__ = ["warm_up"]
