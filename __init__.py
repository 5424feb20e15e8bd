"""Hot Blocking QGIS plugin entry point.

QGIS calls ``classFactory(iface)``; scripts and qgis_process pass ``iface=None``. Loading the
plugin imports no numpy, pandas, scipy or shapely: the algorithms import them when they run.
"""


def classFactory(iface):
    from .plugin_dependencies import use_private_packages

    use_private_packages()  # before anything can import shapely & co.
    from .plugin import HotBlockingPlugin

    return HotBlockingPlugin(iface)
