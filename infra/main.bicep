// ComplianceWatch: the Azure deployment that `azd up` creates.
// One resource group with a user-assigned identity, Storage (tables, queues, deployment blobs; shared keys off),
// Service Bus (topic `changes` with duplicate detection), Key Vault for sink secrets, Log Analytics + Application
// Insights, and the Function App on Flex Consumption; optional extra Function Apps in further regions act as
// reachability vantage points. Everything authenticates with the managed identity and least-privilege roles.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to name and tag resources.')
param environmentName string

@minLength(1)
@description('Primary region for all resources.')
param location string

@description('Object id of the deploying user, granted Key Vault Secrets Officer so secrets can be set after deployment. Empty to skip.')
param principalId string = ''

@description('Extra regions where the same app is deployed as a reachability vantage point (e.g. ["eastasia", "japaneast"]).')
param probeRegions string[] = []

@description('Duplicate-detection window of the changes topic (ISO 8601). Set explicitly: a relay re-send within it is absorbed.')
param duplicateDetectionWindow string = 'PT1H'

@minValue(1)
@maxValue(100)
@description('Deliveries of a change message before it is dead-lettered.')
param maxDeliveryCount int = 10

@description('Deploy a headless browser (a Container App running the Playwright server, reachable only from the Function App) for render: true sources. Without it those sources report browser-unavailable.')
param deployBrowser bool = false

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    appInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module serviceBus 'app/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: '${abbrs.serviceBusNamespaces}${resourceToken}'
    location: location
    tags: tags
    duplicateDetectionWindow: duplicateDetectionWindow
    maxDeliveryCount: maxDeliveryCount
    principalId: identity.outputs.principalId
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    readerPrincipalId: identity.outputs.principalId
    officerPrincipalId: principalId
  }
}

module browser 'app/browser.bicep' = if (deployBrowser) {
  name: 'browser'
  scope: rg
  params: {
    location: location
    tags: tags
    vnetName: '${abbrs.networkVirtualNetworks}${resourceToken}'
    environmentName: '${abbrs.appManagedEnvironments}${resourceToken}'
    appName: '${abbrs.appContainerApps}browser-${resourceToken}'
  }
}

module functionApp 'app/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    name: '${abbrs.webSitesFunctions}${resourceToken}'
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'functions' })
    region: location
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainer: storage.outputs.deploymentContainer
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    keyVaultUri: keyVault.outputs.uri
    publishes: true
    subnetId: deployBrowser ? browser!.outputs.functionsSubnetId : ''
    browserEndpoint: deployBrowser ? browser!.outputs.endpoint : ''
  }
}

// The same app in further regions: each reports reachability as seen from its region and publishes to the same topic.
module probes 'app/functionapp.bicep' = [for (region, i) in probeRegions: {
  name: 'probe-${region}'
  scope: rg
  params: {
    name: '${abbrs.webSitesFunctions}${resourceToken}-${region}'
    planName: '${abbrs.webServerFarms}${resourceToken}-${region}'
    location: region
    tags: union(tags, { 'compliancewatch-role': 'probe' })
    region: region
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainer: storage.outputs.deploymentContainer
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    keyVaultUri: keyVault.outputs.uri
    publishes: false
  }
}]

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = functionApp.outputs.url
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output SERVICE_BUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
