"""Hot Blocking QGIS plugin entry point.

QGIS calls ``classFactory(iface)``; scripts and qgis_process pass ``iface=None``.
"""


def classFactory(iface):  # noqa: N802 (QGIS API name)
    from .plugin import HotBlockingPlugin

    return HotBlockingPlugin(iface)
