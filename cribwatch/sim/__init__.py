"""Camera physics shared by the capabilities: the near-infrared night simulator."""
