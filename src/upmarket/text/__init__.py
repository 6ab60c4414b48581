"""Chinese review text shared by several analyses: normalising (``normalise``), value vs premium framing
(``framing``), the opinion lexicon and clause helpers (``lexicon``). No analysis owns them, so none imports another
to use them."""
