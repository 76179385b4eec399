"""The live monitor: one camera's video and audio through the colour, cry and roll-over front
desks; alerts as JSON lines, MQTT and clips; a local web page. Front desk:
:mod:`cribwatch.monitor.api`; alert schema: :mod:`cribwatch.monitor.schema`."""
